import type * as z from 'zod';
import { deepMerge } from './merge';
import { type PipelineConfig, type PlatformConfig, pipelineSchema, type StageConfig } from './schema';

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
    for (const key of FIXED)
      if (key in stage.overrides) problems.push(`stages[${i}].overrides.${key}: a stage cannot change a pipeline's ${key} (it is the same in every stage)`);
    if (problems.length > 0) return;
    for (const p of config.pipelines) {
      const merged = deepMerge(p, stage.overrides);
      const result = pipelineSchema.safeParse(merged);
      if (result.success) continue;
      for (const issue of result.error.issues)
        for (const line of describe(issue, merged)) problems.push(`stages[${i}].overrides.${line} (in pipeline ${p.name})`);
    }
  });
  return [...new Set(problems)];
}
