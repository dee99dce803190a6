import type { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MAX_SUBNETS, type NetworkConfig, type NetworkSettings } from './config/organization';

/** A stage's network as its stacks use it, with the VPC when it was looked up by id. */
export interface StageNetwork {
  readonly settings: NetworkSettings;
  readonly vpc?: ec2.IVpc;
  /** The subnets of `settings`, as the lookup found them (availability zone, route table). */
  readonly subnets?: readonly ec2.ISubnet[];
  /**
   * The VPC is not in the app's context yet: CDK answers with a placeholder VPC until the CLI has
   * looked it up (with credentials for the stage's account) and written it to cdk.context.json.
   */
  readonly placeholder?: boolean;
}

/**
 * The stage's subnets and security groups: as listed, or found in the VPC named by `vpcId` (its
 * private and isolated subnets, or the listed ones, checked to be in it). The lookup is CDK's
 * `Vpc.fromLookup`, answered from cdk.context.json, so a synth without AWS access works once the
 * VPC is there. `field` names the config field in errors, e.g. `stages[0].network`.
 */
export function stageNetwork(scope: Stack, network: NetworkConfig, field: string): { network: StageNetwork; problems: string[] } {
  const securityGroupIds = network.securityGroupIds;
  if (!network.vpcId) return { network: { settings: { subnetIds: network.subnetIds ?? [], securityGroupIds } }, problems: [] };
  const vpc = ec2.Vpc.fromLookup(scope, 'Vpc', { vpcId: network.vpcId });
  const inVpc = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets];
  // CDK's placeholder answers with its own ids: no subnet to check against yet.
  if (vpc.vpcId !== network.vpcId) {
    const subnets = network.subnetIds ? [] : [...vpc.privateSubnets, ...vpc.isolatedSubnets];
    return {
      network: { settings: { subnetIds: network.subnetIds ?? subnets.map((s) => s.subnetId), securityGroupIds }, vpc, subnets, placeholder: true },
      problems: [],
    };
  }
  const problems: string[] = [];
  let subnets: ec2.ISubnet[];
  if (network.subnetIds) {
    subnets = network.subnetIds.flatMap((id) => inVpc.filter((s) => s.subnetId === id));
    for (const id of network.subnetIds.filter((id) => !inVpc.some((s) => s.subnetId === id)))
      problems.push(`${field}.subnetIds: expected subnets of ${network.vpcId}, got "${id}", which is not one of its subnets`);
  } else {
    subnets = [...vpc.privateSubnets, ...vpc.isolatedSubnets];
    if (subnets.length === 0) problems.push(`${field}.vpcId: expected a VPC with private or isolated subnets, ${network.vpcId} has none (list subnetIds)`);
    if (subnets.length > MAX_SUBNETS)
      problems.push(
        `${field}.vpcId: ${network.vpcId} has ${subnets.length} private and isolated subnets, SageMaker takes at most ${MAX_SUBNETS}: list the ones to use in subnetIds`,
      );
  }
  return { network: { settings: { subnetIds: subnets.map((s) => s.subnetId), securityGroupIds }, vpc, subnets }, problems };
}
