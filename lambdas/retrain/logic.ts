import { workflowInputSchema, type WorkflowInput } from '../shared/run';

/** Why a retraining was asked for. */
export type RetrainReason = 'drift' | 'schedule';

export interface TrainingRun {
  readonly executionArn: string;
  readonly startDate: Date;
  readonly running: boolean;
}

export type RetrainDecision =
  | { readonly action: 'start'; readonly executionName: string; readonly input: WorkflowInput }
  | { readonly action: 'skip'; readonly reason: string; readonly notify: boolean };

/** The latest accepted dataset as the training workflow recorded it, or undefined ("none", unreadable). */
export function parseLatestDataset(value: string | undefined): Omit<WorkflowInput, 'reason'> | undefined {
  if (!value || value === 'none') return undefined;
  try {
    const parsed = workflowInputSchema.omit({ reason: true }).safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Single flight and cooldown, as pure logic. Never starts while a run of the pipeline is active
 * or within `cooldownMs` of the last run's start. A start is named after the cooldown window, so
 * simultaneous triggers (an alarm storm) name the same execution and Step Functions starts one.
 */
export function decideRetraining(args: {
  readonly pipeline: string;
  readonly reason: RetrainReason;
  readonly now: Date;
  readonly cooldownMs: number;
  readonly runs: readonly TrainingRun[];
  readonly latest: Omit<WorkflowInput, 'reason'> | undefined;
}): RetrainDecision {
  const { pipeline, reason, now, cooldownMs, runs, latest } = args;
  const active = runs.find((r) => r.running);
  if (active) return { action: 'skip', reason: `a training run of ${pipeline} is active (${active.executionArn})`, notify: false };
  const last = runs.reduce<Date | undefined>((max, r) => (!max || r.startDate > max ? r.startDate : max), undefined);
  if (last && now.getTime() - last.getTime() < cooldownMs) {
    const next = new Date(last.getTime() + cooldownMs);
    return {
      action: 'skip',
      reason: `cooldown: the last run started at ${last.toISOString()}; the next automatic run may start after ${next.toISOString()}`,
      notify: false,
    };
  }
  if (!latest) return { action: 'skip', reason: `no accepted dataset of ${pipeline} is recorded yet: drop one under ${pipeline}/ first`, notify: true };
  const window = Math.floor(now.getTime() / cooldownMs);
  return { action: 'start', executionName: `${pipeline}-retrain-${window}`, input: { ...latest, reason } };
}
