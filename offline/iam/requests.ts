import { REGION, type SynthesizedAccount } from '../account';
import { SAGEMAKER_VPC_ACTIONS } from '../../lib/constructs/sagemaker-execution-role';
import { ScalableTargets } from '../scalable-targets';

type Json = Record<string, any>;

/** What IAM evaluates for one API call, before the caller is known. */
export interface Need {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

const sm = (account: SynthesizedAccount, type: string, name: string) => `arn:aws:sagemaker:${REGION}:${account.id}:${type}/${name}`;
const obj = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const S3_VIA = `s3.${REGION}.amazonaws.com`;

/** The IAM service prefix of an SDK service id (`applicationautoscaling` → `application-autoscaling`). */
const PREFIX: Record<string, string> = {
  applicationautoscaling: 'application-autoscaling',
  sfn: 'states',
  cloudwatch: 'cloudwatch',
  sagemaker: 'sagemaker',
  ssm: 'ssm',
  s3: 's3',
  sns: 'sns',
  eventbridge: 'events',
};

/**
 * KMS use that S3 makes on the caller's behalf for an SSE-KMS bucket (bucket keys on: the
 * encryption context is the bucket ARN). A read needs kms:Decrypt, a write kms:GenerateDataKey.
 */
export function s3Kms(account: SynthesizedAccount, bucket: string, use: 'read' | 'write'): Need[] {
  const key = account.encryptionKey(bucket);
  if (!key) return [];
  return [
    {
      action: use === 'read' ? 'kms:Decrypt' : 'kms:GenerateDataKey',
      resource: key,
      context: { 'kms:ViaService': S3_VIA, 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${bucket}`, 'kms:CallerAccount': account.id },
    },
  ];
}

/** What a caller needs for an object read (`GetObject`, or `GetObjectVersion` when a version is named). */
export const s3Read = (account: SynthesizedAccount, bucket: string, key: string, versionId?: string, decrypt = true): Need[] => [
  { action: versionId && versionId !== 'null' ? 's3:GetObjectVersion' : 's3:GetObject', resource: obj(bucket, key) },
  ...(decrypt ? s3Kms(account, bucket, 'read') : []),
];

export const s3Write = (account: SynthesizedAccount, bucket: string, key: string): Need[] => [
  { action: 's3:PutObject', resource: obj(bucket, key) },
  ...s3Kms(account, bucket, 'write'),
];

/** Publishing to a topic: sns:Publish, and the topic key's data key when the topic is encrypted (SNS developer guide, key management). */
export function snsPublish(account: SynthesizedAccount, topicArn: string): Need[] {
  const key = account.encryptionKey(topicArn);
  return [
    { action: 'sns:Publish', resource: topicArn },
    ...(key
      ? [
          { action: 'kms:GenerateDataKey', resource: key },
          { action: 'kms:Decrypt', resource: key },
        ]
      : []),
  ];
}

/** Tags on a SageMaker Create* call are authorized as sagemaker:AddTags with `sagemaker:TaggingAction` (the Create API's name). */
const tagsOnCreate = (p: Json, operation: string, arn: string): Need[] =>
  Array.isArray(p.Tags) && p.Tags.length > 0 ? [{ action: 'sagemaker:AddTags', resource: arn, context: { 'sagemaker:TaggingAction': operation } }] : [];

const passRole = (roleArn: string | undefined): Need[] =>
  roleArn ? [{ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } }] : [];

/** The model package a CreateModelPackage call will create (versioned packages are `<group>/<version>`). */
export type NextPackageArn = (group: string) => string;

/** What the offline services hold that a request's authorization depends on. */
export interface ServiceState {
  readonly nextPackage?: NextPackageArn;
  /** Registered scalable targets and their tags (none: every target is new and untagged). */
  readonly scalableTargets?: ScalableTargets;
}

/** A tag map as the request-tag condition keys IAM evaluates (`aws:RequestTag/<key>`, `aws:TagKeys`). */
const requestTags = (tags: Record<string, string> | undefined): Record<string, string | string[]> =>
  tags ? { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(tags) } : {};

/** The tags of an existing resource as `aws:ResourceTag/<key>` condition keys. */
const resourceTags = (tags: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

/**
 * What IAM evaluates for one AWS API call, by service and operation (PascalCase), from its
 * request. Actions and ARN formats follow the service authorization reference (iam-data); the
 * S3 name differences (`HeadObject` → s3:GetObject, `ListObjectVersions` → s3:ListBucketVersions)
 * follow the S3 API reference. An operation missing here is an error, never a silent allow.
 */
export function needsOf(account: SynthesizedAccount, service: string, operation: string, p: Json, state: ServiceState = {}): Need[] {
  const prefix = PREFIX[service] ?? service;
  const op = operation.charAt(0).toUpperCase() + operation.slice(1);
  const one = (resource: string, context?: Need['context']): Need[] => [{ action: `${prefix}:${op}`, resource, ...(context ? { context } : {}) }];
  switch (`${prefix}:${op}`) {
    case 's3:HeadObject':
      return s3Read(account, p.Bucket, p.Key, p.VersionId, false);
    case 's3:GetObject':
      return s3Read(account, p.Bucket, p.Key, p.VersionId);
    case 's3:PutObject':
      return s3Write(account, p.Bucket, p.Key);
    case 's3:ListObjectVersions':
      return [{ action: 's3:ListBucketVersions', resource: `arn:aws:s3:::${p.Bucket}`, context: { 's3:prefix': p.Prefix ?? '' } }];
    case 's3:ListMultipartUploads':
      // No s3:prefix condition key for this action (service authorization reference): the bucket only.
      return [{ action: 's3:ListBucketMultipartUploads', resource: `arn:aws:s3:::${p.Bucket}` }];
    case 's3:ListObjectsV2':
      return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${p.Bucket}`, context: { 's3:prefix': p.Prefix ?? '' } }];
    case 's3:CopyObject': {
      const m = /^([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(String(p.CopySource));
      if (!m) throw new Error(`CopySource ${p.CopySource} is not bucket/key[?versionId=]`);
      return [...s3Read(account, m[1]!, decodeURIComponent(m[2]!), m[3] && decodeURIComponent(m[3])), ...s3Write(account, p.Bucket, p.Key)];
    }
    case 'sns:Publish':
      return snsPublish(account, p.TopicArn);
    case 'events:PutEvents':
      // One request, authorized on each entry's bus with the request's sources and detail-types (multivalued keys).
      return (p.Entries as Json[]).flatMap((e) =>
        one(`arn:aws:events:${REGION}:${account.id}:event-bus/${e.EventBusName ?? 'default'}`, {
          'events:source': (p.Entries as Json[]).map((x) => x.Source),
          'events:detail-type': (p.Entries as Json[]).map((x) => x.DetailType),
        }),
      );
    case 'states:StartExecution':
    case 'states:ListExecutions':
      return one(p.stateMachineArn);
    case 'states:DescribeExecution':
      return one(p.executionArn);
    case 'ssm:GetParameter':
    case 'ssm:PutParameter':
      return one(`arn:aws:ssm:${REGION}:${account.id}:parameter/${String(p.Name).replace(/^\//, '')}`);
    case 'cloudwatch:PutMetricData':
      return one('*', { 'cloudwatch:namespace': p.Namespace });
    case 'cloudwatch:GetMetricData':
      return one('*');
    case 'cloudwatch:DescribeAlarms':
      // Authorized per alarm listed by name (the service authorization reference: resource type alarm).
      return (p.AlarmNames as string[]).flatMap((n) => one(`arn:aws:cloudwatch:${REGION}:${account.id}:alarm:${n}`));
    case 'sagemaker:DescribeEndpoint':
    case 'sagemaker:DeleteEndpoint':
      return one(sm(account, 'endpoint', p.EndpointName));
    case 'sagemaker:DescribeEndpointConfig':
    case 'sagemaker:DeleteEndpointConfig':
      return one(sm(account, 'endpoint-config', p.EndpointConfigName));
    case 'sagemaker:DescribeTrainingJob':
      return one(sm(account, 'training-job', p.TrainingJobName));
    case 'sagemaker:DescribeProcessingJob':
      return one(sm(account, 'processing-job', p.ProcessingJobName));
    case 'sagemaker:DescribeModel':
    case 'sagemaker:DeleteModel':
      return one(sm(account, 'model', p.ModelName));
    case 'sagemaker:DescribeModelPackage':
    case 'sagemaker:UpdateModelPackage':
      return one(p.ModelPackageName ?? p.ModelPackageArn);
    case 'sagemaker:ListModelPackages':
      return one('*');
    case 'sagemaker:AddTags':
    case 'sagemaker:DeleteTags':
      return one(p.ResourceArn);
    case 'sagemaker:CreateModelPackage': {
      if (!state.nextPackage) throw new Error('CreateModelPackage needs the ARN it will create');
      const arn = state.nextPackage(p.ModelPackageGroupName);
      return [...one(arn), ...tagsOnCreate(p, op, arn)];
    }
    case 'sagemaker:CreateModel': {
      const arn = sm(account, 'model', p.ModelName);
      return [...one(arn), ...tagsOnCreate(p, op, arn), ...passRole(p.ExecutionRoleArn)];
    }
    case 'sagemaker:CreateEndpointConfig': {
      const arn = sm(account, 'endpoint-config', p.EndpointConfigName);
      return [...one(arn), ...tagsOnCreate(p, op, arn)];
    }
    case 'sagemaker:CreateEndpoint':
    case 'sagemaker:UpdateEndpoint': {
      const arn = sm(account, 'endpoint', p.EndpointName);
      return [...one(arn), ...one(sm(account, 'endpoint-config', p.EndpointConfigName)), ...(op === 'CreateEndpoint' ? tagsOnCreate(p, op, arn) : [])];
    }
    case 'application-autoscaling:RegisterScalableTarget':
    case 'application-autoscaling:PutScalingPolicy':
    case 'application-autoscaling:DeregisterScalableTarget': {
      // Addressed by (namespace, ResourceId, dimension); authorized on the target's ARN, with its tags (service authorization reference).
      const targets = state.scalableTargets ?? new ScalableTargets(account.id);
      return one(targets.arnOf(p.ResourceId), {
        'application-autoscaling:service-namespace': p.ServiceNamespace,
        'application-autoscaling:scalable-dimension': p.ScalableDimension,
        ...resourceTags(targets.get(p.ResourceId)?.tags),
        ...(op === 'RegisterScalableTarget' ? requestTags(p.Tags) : {}),
      });
    }
    case 'application-autoscaling:TagResource':
      return one(p.ResourceARN, { ...resourceTags(state.scalableTargets?.byArn(p.ResourceARN)?.tags), ...requestTags(p.Tags) });
    default:
      throw new Error(`offline authorization does not know what ${service}:${operation} needs: add it to offline/iam/requests.ts`);
  }
}

/** Optimized `.sync` SageMaker jobs: the calls Step Functions itself makes (Step Functions guide, "IAM policies for SageMaker AI"). */
export function syncJobNeeds(account: SynthesizedAccount, kind: 'TrainingJob' | 'ProcessingJob', p: Json): Need[] {
  const name = kind === 'TrainingJob' ? p.TrainingJobName : p.ProcessingJobName;
  const arn = sm(account, kind === 'TrainingJob' ? 'training-job' : 'processing-job', name);
  const rule = `arn:aws:events:${REGION}:${account.id}:rule/StepFunctionsGetEventsForSageMaker${kind}sRule`;
  return [
    { action: `sagemaker:Create${kind}`, resource: arn },
    ...tagsOnCreate(p, `Create${kind}`, arn),
    ...passRole(p.RoleArn),
    { action: 'events:PutTargets', resource: rule },
    { action: 'events:PutRule', resource: rule },
    { action: 'events:DescribeRule', resource: rule },
    { action: `sagemaker:Describe${kind}`, resource: arn },
  ];
}

/** What SageMaker does with a role passed to it (a job's or a model's execution role). */
export type RoleUse =
  | { readonly kind: 'list'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'read'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'write'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'image'; readonly uri: string }
  | { readonly kind: 'logs'; readonly group: string; readonly stream: string }
  | { readonly kind: 'volume-key'; readonly keyArn: string }
  /** VPC mode: the job's or the model's network interfaces in the request's subnets. */
  | { readonly kind: 'network' };

/**
 * The requests SageMaker makes as the execution role ("How to use SageMaker AI execution roles":
 * S3 inputs and outputs with their SSE-KMS keys, kms:CreateGrant for a volume key, the image pull
 * from ECR, CloudWatch Logs). Built-in images live in AWS's own accounts,
 * whose repository policies let any account pull (see SynthesizedAccount.resourcePolicyFor).
 */
export function roleUseNeeds(account: SynthesizedAccount, use: RoleUse): Need[] {
  switch (use.kind) {
    case 'list':
      return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${use.bucket}`, context: { 's3:prefix': use.prefix } }];
    case 'read':
      return s3Read(account, use.bucket, use.key);
    case 'write':
      return s3Write(account, use.bucket, use.key);
    case 'image': {
      const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(use.uri);
      if (!m) throw new Error(`not an ECR image URI: ${use.uri}`);
      const repo = `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
      return [
        { action: 'ecr:GetAuthorizationToken', resource: '*' },
        { action: 'ecr:BatchGetImage', resource: repo },
        { action: 'ecr:GetDownloadUrlForLayer', resource: repo },
      ];
    }
    case 'logs': {
      const stream = `arn:aws:logs:${REGION}:${account.id}:log-group:${use.group}:log-stream:${use.stream}`;
      return [
        { action: 'logs:CreateLogStream', resource: stream },
        { action: 'logs:PutLogEvents', resource: stream },
      ];
    }
    case 'network':
      // The EC2 calls SageMaker makes as the role for a VpcConfig (ENIs created at run time; Describe* take no resource).
      return SAGEMAKER_VPC_ACTIONS.map((action) => ({ action, resource: '*' }));
    case 'volume-key':
      return [
        {
          action: 'kms:CreateGrant',
          resource: use.keyArn,
          context: { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': `sagemaker.${REGION}.amazonaws.com` },
        },
      ];
  }
}
