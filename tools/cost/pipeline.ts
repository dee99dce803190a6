/**
 * The sections of one pipeline in one stage: its fixed monthly lines, one training run, one
 * deployment, the drift check and the capture storage of 1 M requests. The pipeline is the
 * stage's (`pipelinesOf`), so stage overrides of instance types and counts apply.
 */
import type { PipelineConfig, StageConfig } from '../../lib/config/schema';
import type { StackInventory } from './inventory';
import { formatNumber, free, type Line, line, type Prices, type Section, section } from './lines';
import { BYTES_PER_GB, HOURS_PER_MONTH } from './prices';
import { runsPerDay } from './schedule';

/** The stated assumptions of an estimate (each has a flag, ./args). */
export interface Assumptions {
  readonly preprocessMinutes: number;
  readonly trainMinutes: number;
  readonly evaluateMinutes: number;
  /** Minutes of one drift-check processing job. */
  readonly driftMinutes: number;
  /** Bytes one captured request adds to the capture bucket (request, response and the capture record around them). */
  readonly requestBytes: number;
  /** Milliseconds of compute one serverless request is billed for. */
  readonly serverlessMs: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  preprocessMinutes: 10,
  trainMinutes: 30,
  evaluateMinutes: 10,
  driftMinutes: 5,
  requestBytes: 2048,
  serverlessMs: 100,
};

export interface PipelineEstimate {
  readonly name: string;
  readonly fixedMonthly: Section;
  readonly trainingRun: Section;
  readonly deployment: Section;
  readonly driftCheck: Section;
  readonly perMillionRequests: Section;
}

export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
export const MILLION = 1_000_000;

/** Estimates one pipeline of a stage from its config and its stack's inventory. */
export function estimatePipeline(p: PipelineConfig, stage: StageConfig, inv: StackInventory, a: Assumptions, prices: Prices): PipelineEstimate {
  return {
    name: p.name,
    fixedMonthly: fixedMonthly(p, inv, prices),
    // A stage that promotes another's models trains none: its models' training is billed in the source stage.
    trainingRun: stage.promoteFrom ? section(`No training here: models come from stage ${stage.promoteFrom} (promoteFrom)`, []) : trainingRun(p, a, prices),
    deployment: deployment(p, prices),
    driftCheck: driftCheck(p, a, prices),
    perMillionRequests: perMillionRequests(p, stage, a, prices),
  };
}

const minutes = (n: number) => `${n} min`;

/** `n` instances of `type` for `min` minutes, priced per instance-hour for `use`. */
function instanceTime(prices: Prices, use: 'training' | 'processing' | 'hosting', label: string, type: string, instances: number, min: number, note?: string) {
  return line(
    label,
    `${type} × ${instances} × ${minutes(min)}`,
    (instances * min) / 60,
    prices((p) => p.sagemaker[use][type], `${type} (${use})`),
    note,
  );
}

function fixedMonthly(p: PipelineConfig, inv: StackInventory, prices: Prices): Section {
  const d = p.deployment;
  const endpoint = d.serverless
    ? free('endpoint', `serverless, ${d.serverless.memorySizeMb} MB`, 'billed per request: see "Per 1 M requests"')
    : line(
        'endpoint',
        `${d.instanceType} × ${d.instanceCount} × ${HOURS_PER_MONTH} h`,
        d.instanceCount * HOURS_PER_MONTH,
        prices((r) => r.sagemaker.hosting[d.instanceType], `${d.instanceType} (hosting)`),
        d.autoScaling.enabled && d.autoScaling.maxInstances > d.instanceCount
          ? `auto-scaling may add up to ${d.autoScaling.maxInstances - d.instanceCount} more`
          : undefined,
      );
  return section('Fixed monthly', [endpoint, ...monitoring(inv, prices)]);
}

/** A stack's alarms, dashboards and schedules, before the free tiers (the stage's, ./estimate). */
export function monitoring(inv: StackInventory, prices: Prices): Line[] {
  const alarmMetrics = inv.directAlarmMetrics + inv.mathAlarmMetrics;
  const invocations = monthlyInvocations(inv);
  return [
    line(
      'CloudWatch alarms',
      `${alarmMetrics} alarm metrics (${inv.mathAlarmMetrics} in metric math)`,
      alarmMetrics,
      prices((r) => r.alarmMetricMonth, 'CloudWatch alarms'),
    ),
    line(
      'CloudWatch dashboards',
      `${inv.dashboards}`,
      inv.dashboards,
      prices((r) => r.dashboardMonth, 'CloudWatch dashboards'),
    ),
    line(
      'Scheduler invocations',
      `${inv.schedules.filter((s) => s.enabled).length} schedules, ${formatNumber(Math.round(invocations))} a month`,
      invocations / MILLION,
      prices((r) => r.schedulerMillionInvocations, 'EventBridge Scheduler'),
    ),
  ];
}

export function monthlyInvocations(inv: StackInventory): number {
  return inv.schedules.filter((s) => s.enabled).reduce((n, s) => n + runsPerDay(s.expression) * DAYS_PER_MONTH, 0);
}

function trainingRun(p: PipelineConfig, a: Assumptions, prices: Prices): Section {
  const spot = p.training.spot.enabled ? 'managed spot: billed at the spot price, at most this' : undefined;
  const title = `One training run (preprocess ${minutes(a.preprocessMinutes)}, train ${minutes(a.trainMinutes)}, evaluate ${minutes(a.evaluateMinutes)})`;
  return section(title, [
    instanceTime(prices, 'processing', 'preprocess', p.preprocessing.instanceType, p.preprocessing.instanceCount, a.preprocessMinutes),
    instanceTime(prices, 'training', 'train', p.training.instanceType, p.training.instanceCount, a.trainMinutes, spot),
    // The evaluation job always runs on one instance (lib/constructs/sagemaker-jobs.ts).
    instanceTime(prices, 'processing', 'evaluate', p.evaluation.instanceType, 1, a.evaluateMinutes),
  ]);
}

function deployment(p: PipelineConfig, prices: Prices): Section {
  const d = p.deployment;
  if (d.serverless)
    return section('One deployment', [free('shadow window', 'none', 'serverless endpoints have no shadow variant: each approval replaces the model')]);
  return section(`One deployment (after the first, which has nothing to shadow)`, [
    instanceTime(
      prices,
      'hosting',
      'shadow window',
      d.instanceType,
      d.instanceCount,
      d.shadow.windowMinutes,
      `${d.shadow.samplingPercent} % of requests mirrored`,
    ),
    instanceTime(prices, 'hosting', 'blue/green bake', d.instanceType, d.instanceCount, d.promotion.bakeMinutes, 'the old fleet until the bake ends'),
  ]);
}

function driftCheck(p: PipelineConfig, a: Assumptions, prices: Prices): Section {
  const m = p.monitoring;
  if (!m.enabled) return section('Drift check', [free('drift check', 'off', 'monitoring.enabled is false')], false);
  if (p.deployment.serverless) return section('Drift check', [free('drift check', 'skipped', 'a serverless endpoint captures no requests')], false);
  const runs = runsPerDay(m.schedule);
  const run = instanceTime(prices, 'processing', 'per run', m.instanceType, 1, a.driftMinutes);
  const times = (label: string, factor: number, detail: string): Line => ({
    ...run,
    label,
    detail,
    quantity: run.quantity * factor,
    usd: run.usd === null ? null : run.usd * factor,
  });
  return section(
    `Drift check (${m.schedule}: ${formatNumber(runs)} a day, while the endpoint has traffic)`,
    [run, times('per day', runs, `${formatNumber(runs)} runs`), times('per month', runs * DAYS_PER_MONTH, `${formatNumber(runs * DAYS_PER_MONTH)} runs`)],
    false,
  );
}

function perMillionRequests(p: PipelineConfig, stage: StageConfig, a: Assumptions, prices: Prices): Section {
  const d = p.deployment;
  if (d.serverless) {
    const gbSeconds = (MILLION * (d.serverless.memorySizeMb / 1024) * a.serverlessMs) / 1000;
    return section(
      'Per 1 M requests',
      [
        line(
          'serverless compute',
          `${d.serverless.memorySizeMb} MB × ${a.serverlessMs} ms`,
          gbSeconds,
          prices((r) => r.sagemaker.serverlessGbSecond, 'serverless inference'),
        ),
        free('capture storage', 'none', 'serverless endpoints have no data capture'),
      ],
      false,
    );
  }
  const gb = (MILLION * (d.dataCaptureSamplingPercent / 100) * a.requestBytes) / BYTES_PER_GB;
  const keptDays = stage.captureExpirationDays + stage.noncurrentVersionExpirationDays;
  const storage = prices((r) => r.s3StandardGbMonth, 'S3 Standard');
  const detail = `${d.dataCaptureSamplingPercent} % captured × ${a.requestBytes} B = ${formatNumber(gb)} GB`;
  return section(
    'Per 1 M requests (capture storage)',
    [
      line('a month stored', detail, gb, storage),
      line(
        'until it expires',
        `${stage.captureExpirationDays} d, then ${stage.noncurrentVersionExpirationDays} d as noncurrent versions`,
        (gb * keptDays) / DAYS_PER_MONTH,
        storage,
      ),
    ],
    false,
  );
}
