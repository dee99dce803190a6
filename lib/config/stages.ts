import type * as z from 'zod';
import { deepMerge } from './merge';
import { evaluationRule, type PipelineConfig, type PlatformConfig, pipelineSchema, type StageConfig } from './schema';

/** Pipeline fields a stage cannot change: a pipeline is the same model with the same data contract in every stage. */
const FIXED = ['name', 'schema'] as const;

/**
 * The pipelines of `stage`: the configured ones with the stage's `overrides` deep-merged in, then
 * validated like any pipeline (arrays replace, as in config files).
 */
export function pipelinesOf(config: PlatformConfig, stage: StageConfig): PipelineConfig[] {
  if (!stage.overrides) return config.pipelines;
  return config.pipelines.map((p) => pipelineSchema.parse(deepMerge(p, stage.overrides)));
}

/** What is wrong with each stage's overrides, as `stages[i].overrides…: …` lines (empty when nothing is). */
export function overrideProblems(config: PlatformConfig, describe: (issue: z.core.$ZodIssue, input: unknown) => string[]): string[] {
  const problems: string[] = [];
  config.stages.forEach((stage, i) => {
    if (!stage.overrides) return;
    const fixed = FIXED.filter((key) => key in stage.overrides!);
    for (const key of fixed) problems.push(`stages[${i}].overrides.${key}: a stage cannot change a pipeline's ${key} (it is the same in every stage)`);
    if (fixed.length > 0) return;
    const metrics: string[] = [];
    for (const p of config.pipelines) {
      const merged = deepMerge(p, stage.overrides);
      const result = pipelineSchema.safeParse(merged);
      if (result.success) {
        metrics.push(`${p.name}: ${evaluationRule(result.data).metric}`);
        continue;
      }
      for (const issue of result.error.issues)
        for (const line of describe(issue, merged)) problems.push(`stages[${i}].overrides.${line} (in pipeline ${p.name})`);
    }
    // A threshold means something only for one metric: a stage-wide one must not reach pipelines that use others.
    const evaluation = stage.overrides.evaluation as Record<string, unknown> | undefined;
    if (evaluation && ('threshold' in evaluation || 'metric' in evaluation) && new Set(metrics.map((m) => m.split(': ')[1])).size > 1)
      problems.push(
        `stages[${i}].overrides.evaluation: applies to every pipeline of the stage, and they use different metrics (${metrics.join(', ')}): set thresholds in each pipeline instead`,
      );
  });
  return [...new Set(problems)];
}
