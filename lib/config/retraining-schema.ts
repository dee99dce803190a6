import * as z from 'zod';

/** EventBridge Scheduler expressions: `rate(<n> <unit>)` or `cron(<6 fields>)`. */
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;

/**
 * When the platform retrains by itself: on drift (the pipeline's drift alarm) and/or on a
 * schedule, never while a run of the pipeline is active, and at most once per cooldown.
 */
export const retrainingSchema = z
  .strictObject({
    /** Retrain when the pipeline's drift alarm goes to ALARM. */
    onDrift: z.boolean().default(true),
    /** Also retrain on this EventBridge Scheduler expression, e.g. "rate(7 days)" or "cron(0 3 ? * MON *)". */
    schedule: z.string().regex(SCHEDULE, 'expected "rate(<n> <minutes|hours|days>)" or "cron(<6 fields>)"').optional(),
    /** No automatic run starts within this many hours of the previous run's start. */
    cooldownHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
  })
  .superRefine((r, ctx) => {
    const m = r.schedule && /^rate\((\d+) (minute|minutes)\)$/.exec(r.schedule);
    if (m && Number(m[1]) < 60)
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'expected at most one run an hour (a training run takes longer than that)' });
  });

export type RetrainingConfig = z.output<typeof retrainingSchema>;
