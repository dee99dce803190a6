import * as z from 'zod';
import { forwardingRoleName, promotionRoleName } from './naming';
import { accessLogBucketSchema, cdkSchema, iamSchema, networkProblems, networkSchema, roleNameProblems } from './organization';
import { deploymentSchema } from './deployment-schema';
import { monitoringSchema } from './monitoring-schema';
import { retrainingSchema } from './retraining-schema';
import { SUPPORTED_REGIONS } from './images';
import { type InstanceUse, instanceTypeField } from './instance-types';
import { capacityProblems } from './capacity';
import { isIgnored } from '../../lambdas/validate-dataset/csv';
import { ASSUMED, VALIDATION_TIMEOUT_SECONDS, validationWorstCase } from '../../lambdas/shared/validation-budget';

/** Lowercase words joined by single hyphens: safe in stack, bucket, job and group names. */
const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const slug = (max: number) =>
  z.string().max(max, `expected at most ${max} characters`).regex(SLUG, 'expected lowercase letters, digits and single hyphens, starting with a letter');

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** By-products of Spark, Glue, Hadoop and laptops in a dataset folder (their documented marker and checksum files). */
export const DEFAULT_IGNORE = [
  '_SUCCESS',
  '_committed_*',
  '_started_*',
  '_temporary',
  '_metadata',
  '_common_metadata',
  '*.crc',
  '.DS_Store',
  'Thumbs.db',
] as const;

export const PROBLEM_TYPES = ['binary_classification', 'multiclass_classification', 'regression'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** Metrics `ml/evaluate.py` computes for each problem type, with the better direction. */
export const METRICS: Readonly<Record<ProblemType, Readonly<Record<string, 'maximize' | 'minimize'>>>> = {
  binary_classification: { auc: 'maximize', accuracy: 'maximize', f1: 'maximize', precision: 'maximize', recall: 'maximize', logloss: 'minimize' },
  multiclass_classification: { accuracy: 'maximize', weighted_f1: 'maximize', logloss: 'minimize' },
  regression: { rmse: 'minimize', mae: 'minimize', r2: 'maximize' },
};

/** Metrics for which 0.8 is a sensible default threshold. */
const DEFAULT_THRESHOLD_METRICS = new Set(['auc', 'accuracy', 'f1', 'precision', 'recall', 'weighted_f1']);

const ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9][a-z0-9._/-]*(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/;

/**
 * What is wrong with the stages' `promoteFrom`: it must name another stage of the config, without
 * a cycle, in the same region (SageMaker pulls a package's image from its own region's registry),
 * and, across accounts, both stages must name theirs (the grants name the other account).
 */
export function promotionProblems(stages: readonly { name: string; account?: string; region?: string; promoteFrom?: string }[]) {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  stages.forEach((s, i) => {
    if (s.promoteFrom === undefined) return;
    const path = ['stages', i, 'promoteFrom'];
    const source = byName.get(s.promoteFrom);
    if (!source || source === s) {
      problems.push({ path, message: `expected the name of another stage (${[...byName.keys()].filter((n) => n !== s.name).join(', ') || 'none'})` });
      return;
    }
    const seen = new Set([s.name]);
    for (let at = source; at.promoteFrom !== undefined; at = byName.get(at.promoteFrom) ?? at) {
      if (seen.has(at.name)) {
        problems.push({ path, message: `stage "${s.name}" promotes from "${s.promoteFrom}", which leads back to it: promotions cannot go round in a cycle` });
        return;
      }
      seen.add(at.name);
      if (!byName.has(at.promoteFrom)) break;
    }
    if (source.region !== s.region)
      problems.push({
        path,
        message: `expected a stage in the same region: "${s.promoteFrom}" is in ${source.region ?? 'the deploying region'}, "${s.name}" in ${s.region ?? 'the deploying region'}`,
      });
    if (source.account !== s.account && (source.account === undefined || s.account === undefined))
      problems.push({
        path,
        message: `stages "${s.promoteFrom}" and "${s.name}" are in different accounts: both must name their account, which the grants between them name`,
      });
  });
  return problems;
}

const stageSchema = z.strictObject({
  name: slug(8),
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .refine((r) => SUPPORTED_REGIONS.includes(r), {
      message: `expected a region with both the SKLearn 1.2-1 and XGBoost 1.7-1 images (${SUPPORTED_REGIONS.join(', ')})`,
    })
    .optional(),
  /** Register models as Approved instead of PendingManualApproval. */
  autoApprove: z.boolean().default(false),
  /**
   * Train nothing here: every model that goes live in the named stage (after its shadow test) is
   * copied here, checked against the hash its evaluation recorded, and registered in this stage's
   * model package group for this stage's operators to approve (README "Promotion across stages").
   * The named stage must be in the same region; it may be another account.
   */
  promoteFrom: z.string().min(1).optional(),
  /** VPC mode: SageMaker's jobs and model in these subnets (README "Deploying into a landing zone"). */
  network: networkSchema.optional(),
  /** Server access logs to this existing bucket (same account and region) instead of one the stage creates. */
  accessLogBucket: accessLogBucketSchema.optional(),
  /** Keep buckets and the KMS key when the stack is deleted. */
  retainData: z.boolean().default(true),
  logRetentionDays: z
    .number()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `expected one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    // A year: Control Tower's CT.CLOUDWATCH.PR.2 requires at least that.
    .default(365),
  noncurrentVersionExpirationDays: z.number().int().min(1).max(3650).default(90),
  /** Captured endpoint requests and responses expire this many days after capture (then as noncurrent versions). */
  captureExpirationDays: z.number().int().min(1).max(3650).default(30),
  /** Copies of rejected datasets under `quarantine/` expire this many days after the rejection (the originals stay in their drop folder). */
  quarantineExpirationDays: z.number().int().min(1).max(3650).default(30),
  /**
   * Pipeline settings of this stage only (instance types and counts, gate thresholds, schedules,
   * …), deep-merged into every pipeline of the stage and validated like them: small instances in
   * dev, larger ones in prod. `name` and `schema` stay the same in every stage (lib/config/stages.ts).
   */
  overrides: z.record(z.string(), z.unknown()).optional(),
});

const computeSchema = (use: InstanceUse, defaults: { instanceType: string; maxRuntimeSeconds: number }) =>
  z.strictObject({
    instanceType: instanceTypeField(use, defaults.instanceType),
    instanceCount: z.number().int().min(1).max(100).default(1),
    volumeSizeGb: z.number().int().min(1).max(16384).default(30),
    maxRuntimeSeconds: z.number().int().min(60).max(432000).default(defaults.maxRuntimeSeconds),
  });

const hyperparameterValue = z.union([z.string().max(2500), z.number(), z.boolean()]);

export const pipelineSchema = z
  .strictObject({
    name: slug(24),
    description: z.string().max(1000).default(''),
    schema: z.strictObject({
      columns: z.array(z.string().min(1).max(128)).min(2, 'expected at least a label and one feature column'),
      label: z.string().min(1),
      problemType: z.enum(PROBLEM_TYPES).default('binary_classification'),
      /** Number of classes (multiclass only). */
      numClasses: z.number().int().min(3).max(1000).optional(),
    }),
    dataset: z
      .strictObject({
        /** The quiet period: a drop is complete when its folder has not changed (objects, bytes, newest modification) for this long. */
        settleSeconds: z.number().int().min(0).max(3600).default(60),
        /** A drop that has not settled (or has no completion marker) after this long is rejected, saying so. */
        maxWaitMinutes: z.number().int().min(1).max(1440).default(120),
        /**
         * Wait for a marker file that the writing tool puts last (Spark, Glue and Hadoop write
         * `_SUCCESS`) instead of the quiet period. The marker must match `dataset.ignore`.
         */
        completeWhen: z
          .strictObject({
            marker: z
              .string()
              .min(1)
              .max(100)
              .regex(/^[^/]+$/, 'expected a file name without "/"'),
          })
          .optional(),
        minRows: z.number().int().min(10).default(100),
        maxBytes: z
          .number()
          .int()
          .min(1)
          .max(5 * 1024 ** 4)
          .default(10 * 1024 ** 3),
        maxObjects: z.number().int().min(1).max(10000).default(1000),
        validationFraction: z.number().gt(0).lt(0.5).default(0.15),
        testFraction: z.number().gt(0).lt(0.5).default(0.15),
        /**
         * File names (`*` and `?` wildcards) that data tools leave in a dataset folder and that are
         * not data: left out of the dataset and named in its lineage. A path segment that matches
         * (a `_temporary/` folder) leaves out everything below it.
         */
        ignore: z
          .array(
            z
              .string()
              .min(1)
              .max(100)
              .regex(/^[^/]+$/, 'expected a file name pattern without "/"'),
          )
          .max(50)
          .default([...DEFAULT_IGNORE]),
      })
      .prefault({}),
    preprocessing: computeSchema('processing', { instanceType: 'ml.m5.large', maxRuntimeSeconds: 3600 }).prefault({}),
    training: computeSchema('training', { instanceType: 'ml.m5.xlarge', maxRuntimeSeconds: 4 * 3600 })
      .extend({
        /** `xgboost` = the built-in XGBoost 1.7-1 algorithm; or an ECR image URI of your own. */
        image: z.union([z.literal('xgboost'), z.string().regex(ECR_IMAGE, 'expected "xgboost" or an ECR image URI')]).default('xgboost'),
        hyperparameters: z.record(z.string().min(1).max(256), hyperparameterValue).default({}),
        spot: z
          .strictObject({
            enabled: z.boolean().default(false),
            /** Must be at least maxRuntimeSeconds (SageMaker's rule). */
            maxWaitSeconds: z.number().int().min(60).max(432000).optional(),
          })
          .prefault({}),
        enableNetworkIsolation: z.boolean().default(true),
      })
      .prefault({}),
    evaluation: computeSchema('processing', { instanceType: 'ml.m5.large', maxRuntimeSeconds: 3600 })
      .extend({
        metric: z.string().optional(),
        /** Defaults to 0.8 for metrics in [0, 1] that are maximized; required for the others. */
        threshold: z.number().optional(),
        direction: z.enum(['maximize', 'minimize']).optional(),
        /** Also require the new model to beat the latest Approved model of the pipeline. */
        mustBeatChampion: z.boolean().default(false),
      })
      .prefault({}),
    deployment: deploymentSchema.prefault({}),
    monitoring: monitoringSchema.prefault({}),
    retraining: retrainingSchema.prefault({}),
  })
  .superRefine((p, ctx) => {
    if (!p.schema.columns.includes(p.schema.label)) {
      ctx.addIssue({ code: 'custom', path: ['schema', 'label'], message: `expected one of the columns (${p.schema.columns.join(', ')})` });
    }
    const dupes = p.schema.columns.filter((c, i) => p.schema.columns.indexOf(c) !== i);
    if (dupes.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['schema', 'columns'], message: `expected unique column names, repeated: ${[...new Set(dupes)].join(', ')}` });
    }
    if (p.schema.problemType === 'multiclass_classification' && p.schema.numClasses === undefined) {
      ctx.addIssue({ code: 'custom', path: ['schema', 'numClasses'], message: 'expected the number of classes for multiclass_classification' });
    }
    const metrics = METRICS[p.schema.problemType];
    if (p.evaluation.metric !== undefined && !(p.evaluation.metric in metrics)) {
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'metric'],
        message: `expected one of ${Object.keys(metrics).join(', ')} for ${p.schema.problemType}`,
      });
    }
    const metric = p.evaluation.metric ?? Object.keys(metrics)[0]!;
    if (p.evaluation.threshold === undefined && !DEFAULT_THRESHOLD_METRICS.has(metric)) {
      ctx.addIssue({ code: 'custom', path: ['evaluation', 'threshold'], message: `expected a threshold for metric "${metric}" (there is no safe default)` });
    }
    if (p.dataset.validationFraction + p.dataset.testFraction >= 0.6) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'testFraction'],
        message: 'expected validationFraction + testFraction < 0.6 (leave most rows for training)',
      });
    }
    const marker = p.dataset.completeWhen?.marker;
    if (marker !== undefined && !isIgnored(marker, p.dataset.ignore)) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'completeWhen', 'marker'],
        message: `expected a file that dataset.ignore leaves out of the data (it is not data: add "${marker}" to dataset.ignore)`,
      });
    }
    const validation = validationWorstCase(p.dataset.maxObjects, p.dataset.maxBytes);
    if (validation.totalSeconds > VALIDATION_TIMEOUT_SECONDS / 2) {
      const bytes = validation.copyBytesSeconds >= validation.totalSeconds / 2;
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', bytes ? 'maxBytes' : 'maxObjects'],
        message: `the validation task would need about ${Math.round(validation.totalSeconds)} s at dataset.maxObjects ${p.dataset.maxObjects} and dataset.maxBytes ${p.dataset.maxBytes} (copying the data into the run at ${ASSUMED.copyBytesPerSecond / 1024 ** 2} MiB/s per stream), more than half of its ${VALIDATION_TIMEOUT_SECONDS} s time-out: lower it`,
      });
    }
    for (const problem of capacityProblems(p)) ctx.addIssue({ code: 'custom', ...problem });
    const spot = p.training.spot;
    if (spot.enabled && (spot.maxWaitSeconds ?? 0) < p.training.maxRuntimeSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'spot', 'maxWaitSeconds'],
        message: `expected at least training.maxRuntimeSeconds (${p.training.maxRuntimeSeconds}) when spot is enabled`,
      });
    }
  });

export const configSchema = z
  .strictObject({
    /** An editor's pointer to config.schema.json (completion and checks while typing); ignored by the platform. */
    $schema: z.string().optional(),
    project: slug(14),
    stages: z.array(stageSchema).min(1),
    notifications: z.strictObject({ emails: z.array(z.email()).default([]) }).prefault({}),
    security: z
      .strictObject({
        /**
         * Writing to a landing prefix starts training, and `autoApprove` deploys a passing model
         * with no person involved: refuse `autoApprove` in every stage that names an account.
         */
        requireHumanApprovalInAccountStages: z.boolean().default(true),
      })
      .prefault({}),
    pipelines: z.array(pipelineSchema).min(1),
    iam: iamSchema,
    cdk: cdkSchema,
  })
  .superRefine((c, ctx) => {
    const named = c.stages.flatMap((s) =>
      s.promoteFrom ? [forwardingRoleName(c.project, s.promoteFrom, s.name), ...c.pipelines.map((p) => promotionRoleName(c.project, s.name, p.name))] : [],
    );
    for (const p of roleNameProblems(c.iam, named)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    uniqueNames(c.stages, ['stages'], ctx);
    if (c.security.requireHumanApprovalInAccountStages) {
      c.stages.forEach((s, i) => {
        if (s.account === undefined || !s.autoApprove) return;
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'autoApprove'],
          message: `expected false: stage "${s.name}" names account ${s.account}, where a passing model must wait for a person (set security.requireHumanApprovalInAccountStages to false to let it deploy unreviewed)`,
        });
      });
    }
    uniqueNames(c.pipelines, ['pipelines'], ctx);
    for (const p of [...promotionProblems(c.stages), ...networkProblems(c.stages, c.pipelines)])
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    c.stages.forEach((s, i) => {
      // The stage's overrides may lengthen the window (validated with the overrides themselves).
      const overridden = (s.overrides?.monitoring as { windowHours?: unknown } | undefined)?.windowHours;
      for (const p of c.pipelines) {
        const hours = typeof overridden === 'number' ? overridden : p.monitoring.windowHours;
        const days = Math.ceil(hours / 24) + 1;
        if (s.captureExpirationDays < days) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'captureExpirationDays'],
            message: `expected at least ${days} days: the drift check of pipeline "${p.name}" reads ${hours} hours of captured traffic`,
          });
          break;
        }
      }
    });
    c.pipelines.forEach((p, i) => {
      if (p.name === 'quarantine') {
        ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'name'], message: '"quarantine" is reserved for rejected datasets' });
      }
      c.stages.forEach((s) => {
        const prefix = `${c.project}-${s.name}-${p.name}`;
        if (prefix.length > 40) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', i, 'name'],
            message: `expected "<project>-<stage>-<pipeline>" to fit 40 characters for SageMaker job names, "${prefix}" has ${prefix.length}`,
          });
        }
      });
    });
  });

function uniqueNames(items: readonly { name: string }[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `expected a unique name, "${item.name}" is repeated` });
    seen.add(item.name);
  });
}

export type PlatformConfig = z.output<typeof configSchema>;
export type StageConfig = PlatformConfig['stages'][number];
export type PipelineConfig = PlatformConfig['pipelines'][number];
export type ConfigInput = z.input<typeof configSchema>;

/** Resolved evaluation rule: the metric defaults per problem type, the direction per metric. */
export function evaluationRule(p: PipelineConfig): { metric: string; direction: 'maximize' | 'minimize'; threshold: number; mustBeatChampion: boolean } {
  const metrics = METRICS[p.schema.problemType];
  const metric = p.evaluation.metric ?? Object.keys(metrics)[0]!;
  return {
    metric,
    direction: p.evaluation.direction ?? metrics[metric]!,
    threshold: p.evaluation.threshold ?? 0.8,
    mustBeatChampion: p.evaluation.mustBeatChampion,
  };
}
