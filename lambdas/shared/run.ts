import { createHash } from 'node:crypto';
// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/**
 * The training workflow's input. Identical for every file of one dataset, so Step Functions'
 * idempotent StartExecution (same name + same input) yields exactly one run.
 */
export const workflowInputSchema = z.strictObject({
  pipeline: z.string().min(1),
  bucket: z.string().min(1),
  datasetId: z.string().min(1),
  /** `<pipeline>/<dataset-id>/` for a folder, or the object's key for a single file. */
  prefix: z.string().min(1),
  singleObject: z.boolean(),
  /** Why the run started: `data-drop` from the trigger; `drift` or `schedule` from retraining. */
  reason: z.string().min(1),
  /**
   * Retraining only: the run whose snapshot of the accepted data (`runs/<id>/data/input/`) to
   * train on, so a retrain uses the dataset as it was accepted, not what its folder holds today.
   */
  snapshotRun: z
    .string()
    .regex(/^[0-9a-f]{12}$/, 'expected a run id (12 hexadecimal digits)')
    .optional(),
});
export type WorkflowInput = z.infer<typeof workflowInputSchema>;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Deterministic Step Functions execution name for a dataset: readable, ≤ 80 characters, only
 * `[A-Za-z0-9_-]`, and unique per (pipeline, dataset id) through a hash of the raw id.
 */
export function executionName(pipeline: string, datasetId: string): string {
  const hash = sha256(`${pipeline}\n${datasetId}`).slice(0, 16);
  const room = 80 - pipeline.length - hash.length - 2;
  const readable = datasetId
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, Math.max(0, room - 1))
    .replace(/[-_]+$/g, '');
  return readable ? `${pipeline}-${readable}-${hash}` : `${pipeline}-${hash}`;
}

/** A run id unique per execution, even when an execution name is reused after 90 days. */
export function runId(executionArn: string, startTime: string): string {
  return sha256(`${executionArn}\n${startTime}`).slice(0, 12);
}

/**
 * SageMaker job names: `<project>-<stage>-<pipeline>--<run id>-<step>` (≤ 63 characters).
 * The double hyphen ends the pipeline part, so IAM can scope `<prefix>--*` to exactly one
 * pipeline (pipeline names never contain `--`).
 */
export function jobName(resourcePrefix: string, run: string, step: 'prep' | 'train' | 'eval'): string {
  return `${resourcePrefix}--${run}-${step}`;
}

/** Where a run keeps its files in the artifacts bucket. */
export function runLayout(artifactsBucket: string, pipeline: string, run: string) {
  const base = `s3://${artifactsBucket}/${pipeline}/runs/${run}`;
  return {
    base,
    manifest: `${base}/input/dataset.manifest`,
    /** The accepted files, copied from the landing bucket at the versions validated: what the run trains on, kept as long as the run. */
    snapshot: `${base}/data/input/`,
    lineage: `${base}/input/lineage.json`,
    train: `${base}/data/train/`,
    validation: `${base}/data/validation/`,
    test: `${base}/data/test/`,
    baseline: `${base}/data/baseline/`,
    model: `${base}/model/`,
    checkpoints: `${base}/checkpoints/`,
    evaluation: `${base}/evaluation/`,
    evaluationReport: `${base}/evaluation/evaluation.json`,
  } as const;
}
export type RunLayout = ReturnType<typeof runLayout>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** One usable segment of an S3 key: not empty, not "." or "..". */
export const isPathSegment = (s: string): boolean => s !== '' && s !== '.' && s !== '..';

/**
 * What is wrong with a workflow input for this pipeline and landing bucket: the input must be
 * exactly what the trigger derives from a key (a hand-started execution can send anything).
 */
export function workflowInputProblems(input: WorkflowInput, expected: { pipeline: string; bucket: string }): string[] {
  const problems: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  if (input.pipeline !== expected.pipeline) problems.push(`input.pipeline: expected ${show(expected.pipeline)}, got ${show(input.pipeline)}`);
  if (input.bucket !== expected.bucket) problems.push(`input.bucket: expected the landing bucket ${show(expected.bucket)}, got ${show(input.bucket)}`);
  if (input.datasetId.includes('/') || CONTROL_CHARACTERS.test(input.datasetId) || !isPathSegment(input.datasetId)) {
    problems.push(`input.datasetId: expected one path segment (no "/", control characters, "." or ".."), got ${show(input.datasetId)}`);
  } else {
    const prefix = `${expected.pipeline}/${input.datasetId}${input.singleObject ? '' : '/'}`;
    if (input.prefix !== prefix)
      problems.push(
        `input.prefix: expected ${show(prefix)} for dataset ${show(input.datasetId)} (singleObject ${input.singleObject}), got ${show(input.prefix)}`,
      );
  }
  return problems;
}
