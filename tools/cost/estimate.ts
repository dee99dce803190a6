/**
 * The arithmetic of `npm run cost` for one stage: its pipelines (stage overrides applied), what
 * its templates deploy (./inventory) and the prices (./prices, and `--prices`) → priced lines. Pure: no
 * synthesis, no I/O; a line without a price says so instead of guessing.
 */
import type { PipelineConfig, StageConfig } from '../../lib/config/schema';
import type { StackInventory, StageInventory } from './inventory';
import { HOW_TO_PRICE, type Line, line, type Priced, type Prices, pricedRegions, pricesIn, type Section, section, sumLines, type Total } from './lines';
import { type Assumptions, estimatePipeline, MILLION, monitoring, monthlyInvocations, type PipelineEstimate } from './pipeline';
import { type Allowance, HOURS_PER_MONTH, type PriceTable, type Rate } from './prices';

export interface StageEstimate {
  readonly name: string;
  readonly region: string;
  /** Where the region came from: the stage, `--region`, or the default. */
  readonly regionFrom: 'stage' | 'flag' | 'default';
  /** Set when the price table has no prices for the region. */
  readonly problem?: string;
  /** Stage-wide lines: the KMS key and the free tiers (once per stage, taken as one account). */
  readonly shared: Section;
  readonly pipelines: readonly PipelineEstimate[];
  /** The shared lines and every pipeline's fixed monthly lines. */
  readonly fixedMonthly: Total;
}

/** What one stage is estimated from. */
export interface StageInput {
  readonly stage: StageConfig;
  /** `pipelinesOf(config, stage)`: the stage's overrides applied. */
  readonly pipelines: readonly PipelineConfig[];
  readonly inventory: StageInventory;
}

/** Region used when neither the stage nor `--region` names one. */
export const DEFAULT_REGION = 'us-east-1';

/** The region a stage is priced in: its own, else `--region`, else {@link DEFAULT_REGION}. */
export function regionOf(stage: StageConfig, flagRegion?: string): Pick<StageEstimate, 'region' | 'regionFrom'> {
  if (stage.region) return { region: stage.region, regionFrom: 'stage' };
  return flagRegion ? { region: flagRegion, regionFrom: 'flag' } : { region: DEFAULT_REGION, regionFrom: 'default' };
}

/**
 * The free tiers, taken once per stage (a stage is taken to be an account; stages sharing an
 * account share one): metrics of alarms that name their metric directly, dashboards, Scheduler
 * invocations. Each is a negative line at the price it saves.
 */
function freeTiers(stacks: readonly StackInventory[], prices: Prices): Line[] {
  const sum = (f: (s: StackInventory) => number) => stacks.reduce((n, s) => n + f(s), 0);
  const credit = (label: string, used: number, allowance: Priced<Allowance>, rate: Priced<Rate>, per = 1): Line => {
    if ('missing' in allowance) return line(label, '', 0, allowance);
    const detail = per === MILLION ? `${allowance.amount / MILLION} M free` : `${allowance.amount} free`;
    const credited = line(label, detail, -Math.min(used, allowance.amount) / per, rate);
    // A supplied allowance marks the line as a supplied rate does.
    return allowance.source.file && credited.usd !== null && !credited.priceFile ? { ...credited, priceFile: allowance.source.file } : credited;
  };
  return [
    credit(
      'free alarm metrics',
      sum((s) => s.directAlarmMetrics),
      prices((r) => r.freeAlarmMetrics, 'the alarm free tier'),
      prices((r) => r.alarmMetricMonth, 'CloudWatch alarms'),
    ),
    credit(
      'free dashboards',
      sum((s) => s.dashboards),
      prices((r) => r.freeDashboards, 'the dashboard free tier'),
      prices((r) => r.dashboardMonth, 'CloudWatch dashboards'),
    ),
    credit(
      'free Scheduler invocations',
      sum(monthlyInvocations),
      prices((r) => r.freeSchedulerInvocations, 'the Scheduler free tier'),
      prices((r) => r.schedulerMillionInvocations, 'EventBridge Scheduler'),
      MILLION,
    ),
  ];
}

/** The stage's own lines: KMS keys, VPC endpoints, the data stack's monitoring (none today), the free tiers. */
function shared(inventory: StageInventory, prices: Prices): Section {
  const stacks = [...(inventory.network ? [inventory.network] : []), inventory.data, ...Object.values(inventory.pipelines)];
  const endpointAzs = stacks.reduce((n, s) => n + s.endpointAzs, 0);
  const keys = stacks.reduce((n, s) => n + s.kmsKeys, 0);
  const data = monitoring(inventory.data, prices).filter((l) => l.quantity !== 0);
  return section('Stage-wide', [
    line(
      'KMS keys',
      `${keys} (each yearly rotation adds a key-month)`,
      keys,
      prices((r) => r.kmsKeyMonth, 'KMS keys'),
    ),
    ...(endpointAzs > 0
      ? [
          line(
            'VPC interface endpoints',
            `${endpointAzs} endpoint-zones × ${HOURS_PER_MONTH} h`,
            endpointAzs * HOURS_PER_MONTH,
            prices((r) => r.vpcEndpointAzHour, 'VPC interface endpoints'),
          ),
        ]
      : []),
    ...data.map((l) => ({ ...l, label: `data stack: ${l.label}` })),
    ...freeTiers(stacks, prices),
  ]);
}

/** Estimates one stage. */
export function estimateStage(input: StageInput, table: PriceTable, assumptions: Assumptions, flagRegion?: string): StageEstimate {
  const where = regionOf(input.stage, flagRegion);
  const prices = pricesIn(table, where.region);
  const pipelines = input.pipelines.map((p) => {
    const inv = input.inventory.pipelines[p.name];
    if (!inv) throw new Error(`no synthesized stack for pipeline ${p.name} in stage ${input.stage.name}`);
    return estimatePipeline(p, input.stage, inv, assumptions, prices);
  });
  const stageLines = shared(input.inventory, prices);
  const regions = pricedRegions(table);
  const problem = regions.includes(where.region)
    ? undefined
    : `no prices for region ${where.region} (stage ${input.stage.name}): the price table has ${regions.join(', ')}; add them with ${HOW_TO_PRICE}`;
  return {
    name: input.stage.name,
    ...where,
    ...(problem ? { problem } : {}),
    shared: stageLines,
    pipelines,
    fixedMonthly: sumLines([...stageLines.lines, ...pipelines.flatMap((p) => p.fixedMonthly.lines)]),
  };
}
