import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { deadLetterQueue, failureDestination } from './dead-letter-queue';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { PlatformFunction } from './platform-function';
import { allow } from './scoped-policy';
import { triggerEnv } from '../../lambdas/dataset-trigger/contract';
import { environmentFor } from './function-environment';
import { datasetLedgerRoot } from '../../lambdas/shared/names';
import type { LifecycleAnnouncer } from './lifecycle-events';

export interface DatasetTriggerProps {
  readonly pipeline: string;
  readonly resourcePrefix: string;
  readonly landingBucket: string;
  /** The artifacts bucket: the dataset ledger (which run each dataset started) lives under `<pipeline>/datasets/`. */
  readonly artifactsBucket: string;
  /** The stage key (artifacts bucket and topic). */
  readonly key: kms.IKey;
  /** The notification variables (a re-upload to a trained dataset id is e-mailed). */
  /** It announces a re-uploaded dataset and late files. */
  readonly announcer: LifecycleAnnouncer;
  readonly stateMachine: sfn.IStateMachine;
  /** dataset.ignore: tools' by-products, never reported as late files. */
  readonly ignore: readonly string[];
  /** dataset.maxObjects: the largest drop, one event per file (sizes the reserved concurrency). */
  readonly maxObjects: number;
  readonly logRetentionDays: number;
  readonly logKey: kms.IKey;
}

/**
 * S3 "Object Created" under `<pipeline>/` in the landing bucket → the trigger Lambda, which
 * starts exactly one training run per dataset. Failed deliveries and failed invocations land
 * in one DLQ, with the original event.
 */
export class DatasetTrigger extends Construct {
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: PlatformFunction;

  constructor(scope: Construct, id: string, props: DatasetTriggerProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      name: `${props.resourcePrefix}-trigger-dlq`,
      key: props.key,
      of: 'the trigger (EventBridge target DLQ and Lambda on-failure destination)',
    });

    this.function = new PlatformFunction(this, 'Handler', {
      handler: 'dataset-trigger',
      resourcePrefix: props.resourcePrefix,
      description: `Starts one training run per dataset dropped under ${props.pipeline}/`,
      environment: environmentFor(this, triggerEnv, {
        ...props.announcer.environment,
        LANDING_BUCKET: props.landingBucket,
        ARTIFACTS_BUCKET: props.artifactsBucket,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        IGNORE: JSON.stringify(props.ignore),
      }),
      logRetentionDays: props.logRetentionDays,
      logKey: props.logKey,
      timeout: Duration.seconds(30),
      reservedConcurrency: triggerConcurrency(props.maxObjects),
    });
    const fn = this.function.function;
    fn.configureAsyncInvoke({
      retryAttempts: SECURE_DEFAULTS.lambda.asyncRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: failureDestination(this.deadLetterQueue, props.key),
    });
    props.stateMachine.grantStartExecution(fn);
    const arns = arnsOf(this);
    const ledger = datasetLedgerRoot(props.pipeline);
    allow(
      this.function.role,
      {
        actions: ['s3:GetObject'],
        resources: [arns.objects(props.landingBucket, `${props.pipeline}/*`)],
        wildcardReason: `HeadObject on keys dropped at run time under the pipeline's prefix "${props.pipeline}/" (to tell URL-encoded from raw keys).`,
      },
      // A missing key is a 404 only for a caller that may list the bucket (a 403 otherwise): the trigger asks for keys that may not exist.
      { actions: ['s3:ListBucket'], resources: [arns.bucket(props.landingBucket)], conditions: { StringLike: { 's3:prefix': [`${props.pipeline}/*`] } } },
      // Late files are named by listing the dataset (ListObjectVersions) against what its run listed.
      {
        actions: ['s3:ListBucketVersions'],
        resources: [arns.bucket(props.landingBucket)],
        conditions: { StringLike: { 's3:prefix': [`${props.pipeline}/*`] } },
      },
      { actions: ['s3:ListBucket'], resources: [arns.bucket(props.artifactsBucket)], conditions: { StringLike: { 's3:prefix': [`${ledger}/*`] } } },
      // The dataset ledger: which run a dataset started (it outlives Step Functions' 90-day memory of closed runs).
      {
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [arns.objects(props.artifactsBucket, `${ledger}/*`)],
        wildcardReason: `One ledger entry per dataset id, named at run time under "${ledger}/".`,
      },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] },
      {
        actions: ['states:DescribeExecution'],
        resources: [arns.executions(`${props.resourcePrefix}-training`)],
        wildcardReason: "Whether a dataset's run still runs; executions are named per dataset at run time.",
      },
    );
    props.announcer.grant(fn.role!);

    this.rule = new events.Rule(this, 'ObjectCreatedRule', {
      description: `Data drops under ${props.pipeline}/ in the landing bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.landingBucket] }, object: { key: [{ prefix: `${props.pipeline}/` }] } },
      },
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}

/**
 * Reserved concurrency of the trigger for a drop of `maxObjects` files (one event each): one
 * execution per 200 files, 2 to 10. A drop then neither starves the account's other functions nor
 * is starved by them; events beyond it wait in Lambda's asynchronous queue, retried for up to the
 * 6-hour maxEventAge. An invocation takes a few hundred milliseconds (one HeadObject and a ledger
 * read once the run is claimed), so 5 executions take the default 1000-file drop in about a minute.
 */
export function triggerConcurrency(maxObjects: number): number {
  return Math.min(10, Math.max(2, Math.ceil(maxObjects / 200)));
}
