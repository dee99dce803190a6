import { datasetLedgerRoot } from '../../lambdas/shared/names';
import { VALIDATION_TIMEOUT_SECONDS } from '../../lambdas/shared/validation-budget';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { QUARANTINE_PREFIX } from '../../lambdas/shared/names';
import { gateEnv } from '../../lambdas/quality-gate/contract';
import { validateEnv } from '../../lambdas/validate-dataset/contract';
import type { PipelineConfig } from '../config/schema';
import { evaluationRule } from '../config/schema';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { environmentFor } from './function-environment';
import { PlatformFunction } from './platform-function';
import { allow } from './scoped-policy';
import type { LifecycleAnnouncer } from './lifecycle-events';

export interface TrainingFunctionsProps {
  readonly pipeline: PipelineConfig;
  readonly resourcePrefix: string;
  /** Bucket names (the data stack's, derived from the naming contract). */
  readonly landingBucket: string;
  readonly artifactsBucket: string;
  /** The stage key: buckets, log groups. */
  readonly key: kms.IKey;
  readonly logRetentionDays: number;
  /** Validation announces an accepted dataset. */
  readonly announcer: LifecycleAnnouncer;
}

/**
 * The training workflow's two functions, dataset validation and the quality gate, with their
 * contracts' environments and least-privilege grants. The workflow builds them; they live in the
 * stack's scope so their construct ids, and so their logical ids, stay what they were (a new id
 * would replace the named functions and log groups, which CloudFormation cannot do in place).
 */
export function trainingFunctions(owner: Construct, props: TrainingFunctionsProps): { validate: PlatformFunction; gate: PlatformFunction } {
  const scope = Stack.of(owner);
  const common = { resourcePrefix: props.resourcePrefix, logRetentionDays: props.logRetentionDays, logKey: props.key };
  return { validate: validateFunction(scope, props, common), gate: gateFunction(scope, props, common) };
}

/**
 * The validation function copies an accepted dataset server-side into the run's snapshot (16 files
 * at a time, files above 1 GiB in parallel 512 MiB parts): Lambda's maximum, for datasets of up to
 * dataset.maxBytes.
 */
export const VALIDATION_TIMEOUT = Duration.seconds(VALIDATION_TIMEOUT_SECONDS);

type Common = { resourcePrefix: string; logRetentionDays: number; logKey: kms.IKey };

function validateFunction(scope: Stack, props: TrainingFunctionsProps, common: Common): PlatformFunction {
  const p = props.pipeline;
  const { landingBucket: landing, artifactsBucket: artifacts } = props;
  const fn = new PlatformFunction(scope, 'ValidateFunction', {
    ...common,
    handler: 'validate-dataset',
    description: `Checks datasets of pipeline ${p.name} (ranged reads), snapshots accepted ones into the run, quarantines rejects`,
    timeout: VALIDATION_TIMEOUT,
    environment: environmentFor(scope, validateEnv, {
      ...props.announcer.environment,
      COLUMNS: JSON.stringify(p.schema.columns),
      LABEL: p.schema.label,
      MIN_ROWS: String(p.dataset.minRows),
      MAX_BYTES: String(p.dataset.maxBytes),
      MAX_OBJECTS: String(p.dataset.maxObjects),
      HEAD_BYTES: String(SECURE_DEFAULTS.validationHeadBytes),
      IGNORE: JSON.stringify(p.dataset.ignore),
      SETTLE: JSON.stringify({
        settleSeconds: p.dataset.settleSeconds,
        maxWaitSeconds: 60 * p.dataset.maxWaitMinutes,
        ...(p.dataset.completeWhen ? { marker: p.dataset.completeWhen.marker } : {}),
      }),
      PIPELINE_NAME: p.name,
      LANDING_BUCKET: landing,
      ARTIFACTS_BUCKET: artifacts,
      RESOURCE_PREFIX: props.resourcePrefix,
      QUARANTINE_PREFIX,
    }),
  });
  props.announcer.grant(fn.role);
  const arns = arnsOf(scope);
  const why = (what: string) => `${what}; keys are chosen by data scientists at run time under the pipeline's own prefix.`;
  allow(
    fn.role,
    // The dataset is listed with ListObjectVersions (s3:ListBucketVersions); nothing lists with ListObjects.
    { actions: ['s3:ListBucketVersions'], resources: [arns.bucket(landing)], conditions: { StringLike: { 's3:prefix': [`${p.name}/*`] } } },
    // Whether a multipart upload is still going on in the drop (its object is not listed until it completes).
    // This action has no s3:prefix condition key (service authorization reference): the landing bucket only.
    { actions: ['s3:ListBucketMultipartUploads'], resources: [arns.bucket(landing)] },
    // Every read names the version it listed (the landing bucket is versioned), which S3 authorizes as s3:GetObjectVersion.
    {
      actions: ['s3:GetObjectVersion'],
      resources: [arns.objects(landing, `${p.name}/*`)],
      wildcardReason: why('Reads the first bytes of each file of a dataset'),
    },
    {
      actions: ['s3:PutObject'],
      resources: [arns.objects(landing, `${QUARANTINE_PREFIX}/${p.name}/*`)],
      wildcardReason: why('Copies rejected datasets to quarantine'),
    },
    {
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [arns.objects(artifacts, `${p.name}/runs/*`)],
      wildcardReason:
        'Writes the snapshot of the accepted data (files over 1 GiB in parts), the manifest and the lineage of runs whose ids are made at run time.',
    },
    // What a data drop's run listed, for the trigger to tell late files (lambdas/shared/names.ts datasetListing).
    {
      actions: ['s3:PutObject'],
      resources: [arns.objects(artifacts, `${datasetLedgerRoot(p.name)}/*/listed.json`)],
      wildcardReason: "One listing per dataset id, named at run time under the pipeline's dataset ledger.",
    },
    // A retraining lists and reads the snapshot of the run that accepted its data.
    {
      actions: ['s3:ListBucketVersions'],
      resources: [arns.bucket(artifacts)],
      conditions: { StringLike: { 's3:prefix': [`${p.name}/runs/*/data/input/*`] } },
    },
    {
      actions: ['s3:GetObjectVersion'],
      resources: [arns.objects(artifacts, `${p.name}/runs/*/data/input/*`)],
      wildcardReason: 'Reads the first bytes of each file of the snapshot a retraining trains on; run ids are made at run time.',
    },
    { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] },
  );
  return fn;
}

function gateFunction(scope: Stack, props: TrainingFunctionsProps, common: Common): PlatformFunction {
  const p = props.pipeline;
  const prefix = props.resourcePrefix;
  const rule = evaluationRule(p);
  const fn = new PlatformFunction(scope, 'GateFunction', {
    ...common,
    handler: 'quality-gate',
    description: `Quality gate of pipeline ${p.name}: ${rule.metric} vs ${rule.threshold}`,
    environment: environmentFor(scope, gateEnv, {
      METRIC: rule.metric,
      THRESHOLD: String(rule.threshold),
      DIRECTION: rule.direction,
      MUST_BEAT_CHAMPION: String(rule.mustBeatChampion),
      MODEL_PACKAGE_GROUP: prefix,
    }),
  });
  const arns = arnsOf(scope);
  allow(
    fn.role,
    {
      actions: ['s3:GetObject'],
      resources: [arns.objects(props.artifactsBucket, `${p.name}/runs/*`)],
      wildcardReason: 'Reads evaluation reports of runs whose ids are made at run time.',
    },
    { actions: ['kms:Decrypt'], resources: [props.key.keyArn] },
    {
      actions: ['sagemaker:ListModelPackages'],
      resources: ['*'],
      wildcardReason:
        'sagemaker:ListModelPackages lists across groups (its model-package resource type is optional); the gate then describes only its own group.',
    },
    {
      actions: ['sagemaker:DescribeModelPackage'],
      resources: [arns.sageMaker('model-package', `${prefix}/*`)],
      wildcardReason: "Reads the metric of the latest approved version in this pipeline's group; versions are numbered by SageMaker.",
    },
  );
  return fn;
}
