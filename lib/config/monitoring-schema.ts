import { instanceTypeField } from './instance-types';
import * as z from 'zod';

/**
 * The drift check: a scheduled SageMaker Processing job (ml/drift.py) that compares the
 * production variant's captured requests with the live model's training baseline.
 */
export const monitoringSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** EventBridge Scheduler expression of the check. */
  schedule: z
    .string()
    .regex(/^(rate\(\d+ (hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/, 'expected "rate(<n> <hours|days>)" or "cron(<6 fields>)"')
    .default('rate(1 hour)'),
  /** Hours of captured traffic each check reads (the most recent ones). */
  windowHours: z.number().int().min(1).max(168).default(1),
  /** A feature drifts when its Population Stability Index exceeds this (0.1 slight, 0.2 significant by common practice). */
  psiThreshold: z.number().gt(0).max(10).default(0.2),
  /** Fewer captured rows than this: no verdict (no metric published). */
  minRows: z.number().int().min(10).default(100),
  instanceType: instanceTypeField('processing', 'ml.m5.large'),
  maxRuntimeSeconds: z.number().int().min(60).max(86400).default(1800),
});
