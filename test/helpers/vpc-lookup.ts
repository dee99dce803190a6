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
export function vpcLookup(account: string, region: string, vpcId: string, subnets: readonly LookedUpSubnet[], owner = account): Record<string, unknown> {
  const key = `vpc-provider:account=${account}:filter.vpc-id=${vpcId}:region=${region}:returnAsymmetricSubnets=true`;
  const types = [...new Set(subnets.map((s) => s.type))];
  return {
    [key]: {
      vpcId,
      vpcCidrBlock: '10.0.0.0/16',
      ownerAccountId: owner,
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

/** The VPC the network tests look up: account, region and id of a stage `prod`. */
export const [ACCOUNT, REGION, VPC] = ['333333333333', 'eu-west-1', 'vpc-0a1b2c3d4e5f60718'];
export const SG = ['sg-0c1d2e3f4a5b6c7d8', 'sg-0d1e2f3a4b5c6d7e8'];
export const subnet = (n: number) => `subnet-0000000000000000${n}`;
/** Two private subnets in two zones, an isolated one sharing a zone and a route table with the first, a public one. */
export const LOOKUPS = vpcLookup(ACCOUNT, REGION, VPC, [
  { subnetId: subnet(1), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000a', type: 'Private' },
  { subnetId: subnet(2), availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0000000000000000b', type: 'Private' },
  { subnetId: subnet(3), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000a', type: 'Isolated' },
  { subnetId: subnet(4), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000c', type: 'Public' },
]);
/** A config override: one stage `prod` in that account and region, with this network. */
export const stageWith = (network: Record<string, unknown>) => ({ stages: [{ name: 'prod', account: ACCOUNT, region: REGION, network }] });
/** The VPC looked up by id, with the endpoints created. */
export const ENDPOINTS = stageWith({ vpcId: VPC, securityGroupIds: SG, endpoints: true });
