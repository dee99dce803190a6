import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { promoteEnv } from '../../lambdas/promote-model/contract';
import { promotedRun, RUN_FILES } from '../../lambdas/promote-model/logic';
import { DETAIL_TYPES, lifecycleSource } from '../../lambdas/shared/lifecycle';
import { bucketName, promotionRoleName, resourcePrefix } from '../config/naming';
import type { PlatformConfig, StageConfig } from '../config/schema';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { failureDestination } from './dead-letter-queue';
import { environmentFor } from './function-environment';
import type { LifecycleAnnouncer } from './lifecycle-events';
import { PlatformFunction } from './platform-function';
import { allow } from './scoped-policy';

/** What a source stage's model run folders hold that a promotion reads (the artifact, then RUN_FILES: the lineage, the drift baseline). */
export const PROMOTED_OBJECTS = (pipeline: string, sourcePrefix: string) => [
  `${pipeline}/runs/*/model/${sourcePrefix}--*/output/model.tar.gz`,
  ...RUN_FILES.map((f) => `${pipeline}/runs/*/${f}`),
];

/** The encryption context S3 gives the source key for those objects: the bucket's ARN under S3 Bucket Keys, else the object's. */
export const sourceObjectsContext = (bucketArn: string, pipeline: string) => [bucketArn, `${bucketArn}/${pipeline}/runs/*`];

export interface ModelPromotionProps {
  readonly config: PlatformConfig;
  readonly stage: StageConfig;
  readonly source: StageConfig;
  readonly pipeline: string;
  readonly artifactsBucket: string;
  readonly key: kms.IKey;
  readonly announcer: LifecycleAnnouncer;
  readonly deadLetterQueue: sqs.Queue;
  readonly tags: readonly { Key: string; Value: string }[];
}

/**
 * A stage that promotes another's models (`promoteFrom`): the source stage forwards its Model
 * Live events to this stage's bus, where this pipeline's rule hands each to the promotion
 * function. Its role has a fixed name, which the source stage's bucket, key and model package
 * group policies name: it may read that stage's packages of this pipeline and their run files
 * (artifact, lineage, baseline) and nothing else there, and register in this stage's group only.
 */
export class ModelPromotion extends Construct {
  constructor(scope: Construct, id: string, props: ModelPromotionProps) {
    super(scope, id);
    const { config, stage, source } = props;
    const prefix = resourcePrefix(config.project, stage.name, props.pipeline);
    const sourcePrefix = resourcePrefix(config.project, source.name, props.pipeline);
    const { account: here, partition, region } = Stack.of(this);
    const sourceAccount = source.account ?? here;
    const sourceBucket = bucketName(config.project, source.name, 'artifacts', sourceAccount, region);
    const fn = new PlatformFunction(this, 'Function', {
      handler: 'promote-model',
      resourcePrefix: prefix,
      roleName: promotionRoleName(config.project, stage.name, props.pipeline),
      description: `Registers in ${prefix} the models that go live in stage ${source.name}, hash-checked`,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      logRetentionDays: stage.logRetentionDays,
      logKey: props.key,
      environment: environmentFor(this, promoteEnv, {
        ...props.announcer.environment,
        SOURCE_STAGE: source.name,
        SOURCE_ACCOUNT: sourceAccount,
        SOURCE_BUCKET: sourceBucket,
        SOURCE_GROUP: sourcePrefix,
        ARTIFACTS_BUCKET: props.artifactsBucket,
        APPROVAL_STATUS: stage.autoApprove ? 'Approved' : 'PendingManualApproval',
        TAGS: JSON.stringify(props.tags),
      }),
    });
    fn.function.configureAsyncInvoke({
      retryAttempts: SECURE_DEFAULTS.lambda.asyncRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: failureDestination(props.deadLetterQueue, props.key),
    });
    props.announcer.grant(fn.role);
    const arns = arnsOf(this);
    const run = `${props.pipeline}/runs/${promotedRun(source.name, '*')}`;
    allow(
      fn.role,
      {
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [`arn:${partition}:sagemaker:${region}:${sourceAccount}:model-package/${sourcePrefix}/*`],
        wildcardReason: `Any version of ${sourcePrefix} in stage ${source.name} may go live there, and is promoted here.`,
      },
      {
        actions: ['s3:GetObject'],
        resources: PROMOTED_OBJECTS(props.pipeline, sourcePrefix).map((o) => arns.objects(sourceBucket, o)),
        wildcardReason: `The run folders of ${props.pipeline} in stage ${source.name} are named at run time; only a model's artifact, lineage and baseline.`,
      },
      // Without s3:ListBucket, S3 answers a missing baseline 403 instead of 404.
      { actions: ['s3:ListBucket'], resources: [arns.bucket(sourceBucket)], conditions: { StringLike: { 's3:prefix': [`${props.pipeline}/runs/*`] } } },
      {
        actions: ['kms:Decrypt'],
        resources: [`arn:${partition}:kms:${region}:${sourceAccount}:key/*`],
        // Only as S3 decrypts objects of the source's artifacts bucket (bucket keys: the encryption context is the bucket's ARN).
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': sourceObjectsContext(arns.bucket(sourceBucket), props.pipeline) },
        },
        wildcardReason: `The key of stage ${source.name} has a random id in another stack; the encryption context pins it to that stage's artifacts bucket, read through S3.`,
      },
      {
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [arns.objects(props.artifactsBucket, `${run}/*`)],
        wildcardReason: `One run folder per promoted version, from-${source.name}-v<version>.`,
      },
      // The marker check (was this version promoted before?) is a HeadObject of a key that is usually missing: without
      // s3:ListBucket S3 answers 403, not 404, and every first promotion would fail.
      { actions: ['s3:ListBucket'], resources: [arns.bucket(props.artifactsBucket)], conditions: { StringLike: { 's3:prefix': [`${run}/*`] } } },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] },
      {
        actions: ['sagemaker:CreateModelPackage', 'sagemaker:AddTags'],
        resources: [arns.sageMaker('model-package', `${prefix}/*`)],
        wildcardReason: `CreateModelPackage authorizes on the version it creates (model-package/${prefix}/<n>).`,
      },
    );
    new events.Rule(this, 'Rule', {
      description: `Models live in stage ${source.name} → promotion into ${prefix}`,
      eventBus: events.EventBus.fromEventBusName(this, 'Bus', props.announcer.environment.EVENT_BUS_NAME),
      eventPattern: {
        source: [lifecycleSource(config.project)],
        detailType: [DETAIL_TYPES.deployed],
        account: [sourceAccount],
        detail: { stage: [source.name], pipeline: [props.pipeline] },
      },
      targets: [new targets.LambdaFunction(fn.function, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
  }
}
