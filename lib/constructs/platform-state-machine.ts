import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { stateMachineLogGroup } from '../config/naming';
import { acknowledgeWildcardResource, SERVICE_WIDE_REASON } from './scoped-policy';

export interface PlatformStateMachineProps {
  readonly resourcePrefix: string;
  /** `training`, `deployment`, …: the name suffix of the state machine and its log group. */
  readonly workflow: string;
  readonly comment: string;
  readonly definition: sfn.IChainable;
  readonly timeout: Duration;
  readonly key: kms.IKey;
  readonly logRetentionDays: number;
  /** The Lambda functions its tasks invoke (their `:*` grant is acknowledged). */
  readonly invokes: readonly lambda.IFunction[];
}

/**
 * A standard state machine with the platform's defaults: named `<prefix>-<workflow>`, X-Ray
 * tracing, every event with its data logged to a KMS-encrypted log group with retention, and
 * the cdk-nag findings CDK's own grants cause acknowledged with their reasons.
 */
export function platformStateMachine(scope: Construct, id: string, props: PlatformStateMachineProps): sfn.StateMachine {
  const machine = new sfn.StateMachine(scope, id, {
    stateMachineName: `${props.resourcePrefix}-${props.workflow}`,
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'Logs', {
        logGroupName: stateMachineLogGroup(props.resourcePrefix, props.workflow),
        retention: props.logRetentionDays as logs.RetentionDays,
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
  for (const fn of props.invokes)
    acknowledgeWildcardResource(machine.role, `${fn.functionArn}:*`, 'LambdaInvoke may call any version or alias of this one platform function.');
  acknowledgeWildcardResource(machine.role, '*', SERVICE_WIDE_REASON);
  return machine;
}
