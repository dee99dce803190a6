import { QUARANTINE_PREFIX } from '../../lambdas/shared/names';
import { Annotations, CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { bucketName, keyAlias, keyArnExportName, lambdaLogGroup, stateMachineLogGroup, topicName, type BucketPurpose } from '../config/naming';
import type { PlatformConfig, StageConfig } from '../config/schema';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { LifecycleEvents } from '../constructs/lifecycle-events';
import { admitForwarding, grantPromoters } from '../constructs/promotion-grants';

export interface DataStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly stage: StageConfig;
}

/**
 * The stateful base of one stage: the KMS key, the landing/artifacts/capture buckets (and the
 * access-log bucket), the notifications topic, and the lifecycle event bus with its schema registry. Retained on delete unless the stage says not.
 */
export class DataStack extends Stack {
  public readonly key: kms.Key;
  public readonly landingBucket: s3.Bucket;
  public readonly artifactsBucket: s3.Bucket;
  public readonly captureBucket: s3.Bucket;
  public readonly logsBucket: s3.IBucket;
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { project } = props.config;
    const stage = props.stage;
    const removalPolicy = stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      alias: keyAlias(project, stage.name),
      description: `Encrypts data, logs and notifications of ${project}-${stage.name}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.allowLogsToUseKey(project, stage.name);

    const b = SECURE_DEFAULTS.bucket;
    const name = (purpose: BucketPurpose) => bucketName(project, stage.name, purpose, this.account, this.region);
    const common = {
      blockPublicAccess: b.blockPublicAccess,
      enforceSSL: b.enforceSSL,
      minimumTLSVersion: b.minimumTLSVersion,
      versioned: b.versioned,
      objectOwnership: b.objectOwnership,
      removalPolicy,
      autoDeleteObjects: !stage.retainData,
    };
    const lifecycleRules: s3.LifecycleRule[] = [
      {
        id: 'expire-noncurrent-and-abort-incomplete-uploads',
        noncurrentVersionExpiration: Duration.days(stage.noncurrentVersionExpirationDays),
        abortIncompleteMultipartUploadAfter: Duration.days(b.abortIncompleteMultipartUploadDays),
      },
    ];

    // The organization's bucket (stages[].accessLogBucket), or one of ours. S3 delivers server access logs only to
    // buckets encrypted with SSE-S3; ours is the one resource Control Tower's CT.S3.PR.2 and PR.10 refuse.
    this.logsBucket = stage.accessLogBucket
      ? s3.Bucket.fromBucketName(this, 'AccessLogsBucket', stage.accessLogBucket)
      : new s3.Bucket(this, 'AccessLogsBucket', {
          ...common,
          bucketName: name('logs'),
          encryption: s3.BucketEncryption.S3_MANAGED,
          lifecycleRules: [{ ...lifecycleRules[0], id: 'expire-access-logs', expiration: Duration.days(Math.max(stage.logRetentionDays, 30)) }],
        });

    const dataBucket = (id: string, purpose: BucketPurpose, extra: Partial<s3.BucketProps> = {}) =>
      new s3.Bucket(this, id, {
        ...common,
        bucketName: name(purpose),
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: b.bucketKeyEnabled,
        serverAccessLogsBucket: this.logsBucket,
        // In a shared bucket, each bucket's logs under its own name.
        serverAccessLogsPrefix: stage.accessLogBucket ? `${name(purpose)}/` : `${purpose}/`,
        lifecycleRules,
        ...extra,
      });
    // Copies of rejected datasets and captured traffic expire (then as noncurrent versions); datasets, models and lineage do not.
    this.landingBucket = dataBucket('LandingBucket', 'landing', {
      eventBridgeEnabled: true,
      lifecycleRules: [
        ...lifecycleRules,
        { id: 'expire-quarantine-copies', prefix: `${QUARANTINE_PREFIX}/`, expiration: Duration.days(stage.quarantineExpirationDays) },
      ],
    });
    this.artifactsBucket = dataBucket('ArtifactsBucket', 'artifacts');
    this.captureBucket = dataBucket('CaptureBucket', 'capture', {
      lifecycleRules: [...lifecycleRules, { id: 'expire-captured-traffic', expiration: Duration.days(stage.captureExpirationDays) }],
    });

    // The organization's bucket grants S3's logging service itself (README "Deploying into a landing zone"); CDK cannot add it.
    if (stage.accessLogBucket)
      for (const bucket of [this.landingBucket, this.artifactsBucket, this.captureBucket])
        Annotations.of(bucket).acknowledgeWarning(
          '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
          "stages[].accessLogBucket is the organization's bucket: its own policy lets logging.s3.amazonaws.com put objects",
        );

    // Every bucket sends its events to EventBridge (AWS service events on the default bus are free): the landing
    // bucket's start training; each meets Control Tower's CT.S3.PR.4, set on the bucket resource itself.
    for (const bucket of [this.logsBucket, this.landingBucket, this.artifactsBucket, this.captureBucket])
      if (bucket instanceof s3.Bucket)
        (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    this.keepLandingNotifications();
    this.denyGrantsExceptForAwsResources();
    this.acknowledgeHelperFunctions();

    this.topic = new sns.Topic(this, 'NotificationsTopic', {
      topicName: topicName(project, stage.name),
      displayName: `${project} ${stage.name} MLOps`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.config.notifications.emails) this.topic.addSubscription(new subs.EmailSubscription(email));
    // CloudWatch alarms publish to the topic, which is encrypted with the stage key (SNS SSE needs this grant for them).
    // The topic policy (enforceSSL) replaces SNS's default one, so CloudWatch needs its own Allow
    // to publish alarm notifications: scoped to this account and to this stage's alarms.
    // Both statements hold only for this stage's alarms in this account (confused-deputy prevention: aws:SourceAccount, aws:SourceArn).
    const ownAlarms = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:${project}-${stage.name}-*` },
    };
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: ownAlarms,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToNotify',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: ownAlarms,
      }),
    );

    // EventBridge sends failed events to the pipelines' dead-letter queues, encrypted with this key: only
    // to this stage's queues, which SQS names in the encryption context (SQS developer guide, key management).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToDeadLetterQueues',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` },
          ArnLike: { 'kms:EncryptionContext:aws:sqs:arn': `arn:${this.partition}:sqs:${this.region}:${this.account}:${project}-${stage.name}-*` },
        },
      }),
    );

    new CfnOutput(this, 'KeyArn', { value: this.key.keyArn, exportName: keyArnExportName(project, stage.name) });
    new CfnOutput(this, 'LandingBucketName', { value: this.landingBucket.bucketName, description: 'Drop datasets here: <pipeline>/<dataset-id>/*.csv' });
    new CfnOutput(this, 'ArtifactsBucketName', { value: this.artifactsBucket.bucketName });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.topic.topicArn });
    const lifecycle = new LifecycleEvents(this, 'LifecycleEvents', { project, stage: stage.name });
    // Promotion across stages (promoteFrom): what this stage lets its promoters read, and what it admits from its source.
    grantPromoters(this, props.config, stage, {
      artifacts: this.artifactsBucket,
      artifactsName: name('artifacts'),
      key: this.key,
      bus: lifecycle.bus,
      topic: this.topic,
    });
    admitForwarding(this, props.config, stage, lifecycle.bus);
    new CfnOutput(this, 'LifecycleEventBusName', { value: lifecycle.bus.eventBusName, description: 'Lifecycle events (README "Lifecycle events")' });
  }

  /** CloudWatch Logs may use the key only for this stage's Lambda and state machine log groups. */
  private allowLogsToUseKey(project: string, stage: string): void {
    const logGroupArn = (name: string) => `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:${name}`;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPlatformLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        // No kms:Describe*: its actions take no kms:EncryptionContext key, so under this condition it granted nothing.
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': [
              logGroupArn(lambdaLogGroup(`${project}-${stage}`, '*')),
              logGroupArn(stateMachineLogGroup(`${project}-${stage}`, '*')),
            ],
          },
        },
      }),
    );
  }

  /**
   * The landing bucket's EventBridge setting was made by CDK's bucket-notifications custom resource
   * before it was a property of the bucket. Removing that resource from a deployed stack would run
   * its delete handler, which clears the bucket's notification configuration: EventBridge off, and
   * no drop would start training again, silently. It stays (both set the same configuration), and is
   * retained so that a later release can drop it without that delete running.
   */
  private keepLandingNotifications(): void {
    const resource = this.landingBucket.node.tryFindChild('Notifications')?.node.tryFindChild('Resource');
    if (!CfnResource.isCfnResource(resource)) {
      this.node.addValidation({ validate: () => ["CDK's bucket notifications resource of the landing bucket was not found (CDK changed its construct ids)"] });
      return;
    }
    resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }

  /** CDK's bucket notifications helper is outside our control: acknowledged on it, not on the stack (the auto-delete provider raises no finding). */
  private acknowledgeHelperFunctions(): void {
    const helpers = this.node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (helpers.length === 0) {
      this.node.addValidation({
        validate: () => ["CDK's bucket notifications helper was not found (CDK changed its construct id): its cdk-nag finding cannot be acknowledged"],
      });
    }
    for (const helper of helpers) {
      Validations.of(helper).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `CDK's ${helper.node.id.replace(/[0-9a-f]{32}$/, '')} helper function uses the AWS basic execution policy for its own logs; its code and role are generated by aws-cdk-lib.`,
      });
    }
  }

  /**
   * Only AWS services may create grants on the key, for their resources (SageMaker for a job's or
   * an endpoint's volume): the statement Control Tower's CT.KMS.PR.3 requires, as its control
   * describes it.
   */
  private denyGrantsExceptForAwsResources(): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsNotForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
  }
}
