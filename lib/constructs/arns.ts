import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * ARNs built from names, in the partition, region and account of the construct's stack:
 * literals for a stage with account and region, CloudFormation pseudo parameters otherwise.
 */
export function arnsOf(scope: IConstruct) {
  const { partition: p, region: r, account: a } = Stack.of(scope);
  return {
    account: a,
    bucket: (bucket: string) => `arn:${p}:s3:::${bucket}`,
    objects: (bucket: string, pattern: string) => `arn:${p}:s3:::${bucket}/${pattern}`,
    sageMaker: (type: string, name: string) => `arn:${p}:sagemaker:${r}:${a}:${type}/${name}`,
    topic: (name: string) => `arn:${p}:sns:${r}:${a}:${name}`,
    eventBus: (name: string) => `arn:${p}:events:${r}:${a}:event-bus/${name}`,
    eventsRule: (name: string) => `arn:${p}:events:${r}:${a}:rule/${name}`,
    logGroup: (name: string) => `arn:${p}:logs:${r}:${a}:log-group:${name}`,
    /** `name` starts with "/" (SSM hierarchy). */
    ssmParameter: (name: string) => `arn:${p}:ssm:${r}:${a}:parameter${name}`,
    stateMachine: (name: string) => `arn:${p}:states:${r}:${a}:stateMachine:${name}`,
    /** Every execution of a state machine (their names are made at run time). */
    executions: (stateMachineName: string) => `arn:${p}:states:${r}:${a}:execution:${stateMachineName}:*`,
    /** A service-linked role (IAM ARNs have no region). */
    serviceLinkedRole: (service: string, name: string) => `arn:${p}:iam::${a}:role/aws-service-role/${service}/${name}`,
    /** Application Auto Scaling scalable targets (ids are random: scope them by tag). */
    scalableTargets: () => `arn:${p}:application-autoscaling:${r}:${a}:scalable-target/*`,
    alarm: (name: string) => `arn:${p}:cloudwatch:${r}:${a}:alarm:${name}`,
    ecrRepository: (account: string, region: string, repository: string) => `arn:${p}:ecr:${region}:${account}:repository/${repository}`,
  };
}
