import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths';
import type { PipelineConfig } from '../config/schema';
import { evaluationRule } from '../config/schema';

/** The Python run inside the SageMaker containers. */
export const ML_DIR = join(PROJECT_ROOT, 'ml');

/** Scripts shipped to the jobs (tests and caches stay behind). */
export const ML_SCRIPTS: readonly string[] = readdirSync(ML_DIR)
  .filter((f) => f.endsWith('.py'))
  .sort();

/**
 * What the scripts read from `pipeline.json` (container arguments are limited to 256
 * characters each, too short for a column list).
 */
export function pipelineSpec(p: PipelineConfig) {
  return {
    pipeline: p.name,
    columns: p.schema.columns,
    label: p.schema.label,
    problemType: p.schema.problemType,
    numClasses: p.schema.numClasses ?? null,
    validationFraction: p.dataset.validationFraction,
    testFraction: p.dataset.testFraction,
    trainShards: p.training.instanceCount,
    evaluation: evaluationRule(p),
    drift: { psiThreshold: p.monitoring.psiThreshold, minRows: p.monitoring.minRows },
  };
}

/** Content hash of the scripts and the spec: the code version recorded with every model. */
export function codeVersion(p: PipelineConfig): string {
  const h = createHash('sha256');
  for (const f of ML_SCRIPTS) h.update(f).update(readFileSync(join(ML_DIR, f)));
  h.update(JSON.stringify(pipelineSpec(p)));
  return h.digest('hex').slice(0, 12);
}
