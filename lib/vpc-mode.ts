import { CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NetworkSettings } from './config/organization';

/**
 * What Lambda needs of a function's execution role to attach it to a VPC: the network-interface
 * actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole (Lambda developer guide,
 * "Giving Lambda functions access to resources in an Amazon VPC"), without its logs actions.
 */
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

const logicalIdOfGetAtt = (stack: Stack, value: unknown): string | undefined => {
  const resolved = stack.resolve(value) as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return resolved?.['Fn::GetAtt']?.[0];
};

/**
 * VPC mode for every function of a stack (ours, and CDK's helpers and custom-resource providers):
 * each runs in the stage's subnets with its security groups, and its execution role gets the
 * network-interface permissions from one inline policy, which each function waits for (Lambda
 * checks them when it creates the function).
 */
export function functionsInVpc(stack: Stack, network: NetworkSettings): void {
  const functions = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function');
  if (functions.length === 0) return;
  const roleIds = new Set<string>();
  for (const fn of functions) {
    fn.addPropertyOverride('VpcConfig', { SubnetIds: [...network.subnetIds], SecurityGroupIds: [...network.securityGroupIds] });
    const role = logicalIdOfGetAtt(
      stack,
      (fn as unknown as { role?: unknown }).role ?? (fn as unknown as { _cfnProperties?: { Role?: unknown } })._cfnProperties?.Role,
    );
    if (role) roleIds.add(role);
  }
  const roles = stack.node
    .findAll()
    .filter(
      (c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::IAM::Role' && roleIds.has(stack.resolve(stack.getLogicalId(c))),
    );
  if (roles.length !== roleIds.size)
    throw new Error(`VPC mode: ${roleIds.size - roles.length} execution role(s) of ${stack.stackName}'s functions are not in the stack`);
  // An inline policy on the roles (no path or name of its own, which an organization may constrain for managed policies).
  const policy = new iam.Policy(stack, 'FunctionsInVpc', {
    statements: [new iam.PolicyStatement({ actions: [...LAMBDA_VPC_ACTIONS], resources: ['*'] })],
    roles: roles.map((r, i) => iam.Role.fromRoleName(stack, `FunctionRole${i}`, r.ref)),
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: "VPC mode: Lambda creates and deletes the functions' network interfaces, named at run time; EC2 Describe* calls take no resource.",
  });
  for (const fn of functions) fn.node.addDependency(policy);
}
