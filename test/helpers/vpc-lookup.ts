/** A subnet as CDK's VPC lookup returns it (cdk.context.json), with its group's type. */
export interface LookedUpSubnet {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly routeTableId: string;
  readonly type: 'Public' | 'Private' | 'Isolated';
}

/**
 * The cdk.context.json entry the CDK CLI writes after looking a VPC up (`Vpc.fromLookup`, asymmetric
 * subnets): the key the app asks for, and the VpcContextResponse of aws-cdk-lib's cloud-assembly API.
 */
export function vpcLookup(account: string, region: string, vpcId: string, subnets: readonly LookedUpSubnet[]): Record<string, unknown> {
  const key = `vpc-provider:account=${account}:filter.vpc-id=${vpcId}:region=${region}:returnAsymmetricSubnets=true`;
  const types = [...new Set(subnets.map((s) => s.type))];
  return {
    [key]: {
      vpcId,
      vpcCidrBlock: '10.0.0.0/16',
      ownerAccountId: account,
      availabilityZones: [],
      subnetGroups: types.map((type) => ({
        name: type,
        type,
        subnets: subnets
          .filter((s) => s.type === type)
          .map(({ subnetId, availabilityZone, routeTableId }) => ({ subnetId, availabilityZone, routeTableId, cidr: '10.0.0.0/24' })),
      })),
    },
  };
}
