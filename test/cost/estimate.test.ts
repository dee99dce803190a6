import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import type { PlatformConfig } from '../../lib/config/schema';
import { pipelinesOf } from '../../lib/config/stages';
import { parseArgs, USAGE, UsageError } from '../../tools/cost/args';
import { estimateStage, type StageEstimate } from '../../tools/cost/estimate';
import { formatReport, usd } from '../../tools/cost/format';
import type { StackInventory, StageInventory } from '../../tools/cost/inventory';
import type { Line, Section } from '../../tools/cost/lines';
import { DEFAULT_ASSUMPTIONS, type PipelineEstimate } from '../../tools/cost/pipeline';
import { readPriceFile } from '../../tools/cost/price-file';
import { PRICE_TABLE, type PriceTable, ratesOf } from '../../tools/cost/prices';
import { runsPerDay, ScheduleError } from '../../tools/cost/schedule';
import { PIPELINE_STACK } from './fixtures/inventory';

const DATA_STACK: StackInventory = { kmsKeys: 1, directAlarmMetrics: 0, mathAlarmMetrics: 0, dashboards: 0, schedules: [], endpointAzs: 0 };

const inventoryOf = (config: PlatformConfig): StageInventory => ({
  data: DATA_STACK,
  pipelines: Object.fromEntries(config.pipelines.map((p) => [p.name, PIPELINE_STACK])),
});

const estimate = (config: PlatformConfig, table: PriceTable = PRICE_TABLE, region?: string): StageEstimate[] =>
  config.stages.map((stage) =>
    estimateStage({ stage, pipelines: pipelinesOf(config, stage), inventory: inventoryOf(config) }, table, DEFAULT_ASSUMPTIONS, region),
  );

const lineOf = (section: Section, label: string): Line => {
  const found = section.lines.find((l) => l.label === label);
  if (!found) throw new Error(`no line "${label}" in ${section.title}`);
  return found;
};
const pipelineOf = (stage: StageEstimate, name: string): PipelineEstimate => stage.pipelines.find((p) => p.name === name)!;

/**
 * ARBITRARY TEST FIGURES, NOT AWS PRICES: the pinned table has no SageMaker prices, so these round
 * numbers, supplied as a team would with --prices, make the SageMaker arithmetic checkable by hand.
 * Each use and region has its own figure, so a price read from the wrong table shows:
 *
 *   USD per instance-hour  hosting (L, XL)  training (L, XL)  processing (L, XL)   serverless per GB-s
 *   us-east-1              1, 2             3, 4              5, 6                 7
 *   eu-west-1              10, 20           30, 40            50, 60               —
 *
 * (L = ml.m5.large, XL = ml.m5.xlarge.) A VPC interface endpoint: 8 per endpoint-zone-hour in us-east-1.
 */
const TEST_PRICES_FILE = 'test/cost/fixtures/arbitrary-test-prices.json';
const TEST_TABLE: PriceTable = { ...PRICE_TABLE, supplied: readPriceFile(TEST_PRICES_FILE) };

/** USD for `instances` × `minutes` at `perHour`. */
const time = (perHour: number, instances: number, minutes: number) => (perHour * instances * minutes) / 60;
const HOW = 'add it with --prices <file> (README "Cost")';

const defaults = loadConfig();
const twoStages = loadConfig({ file: 'examples/two-models-two-stages.json' });
const GB_PER_MILLION = (1_000_000 * 2048) / 1024 ** 3;
const DAYS_PER_MONTH = 730 / 24;

describe('cost: the default config at the pinned prices', () => {
  const [dev] = estimate(defaults);

  it('prices the stage in us-east-1 when the stage names no region', () => {
    expect(dev).toMatchObject({ name: 'dev', region: 'us-east-1', regionFrom: 'default' });
    expect(dev!.problem).toBeUndefined();
  });

  it('adds the KMS key, the alarm metrics, the dashboard and the schedules, less the free tiers', () => {
    const invocations = 2 * 24 * DAYS_PER_MONTH;
    const expected = 1 + 13 * 0.1 + 3 + invocations / 1e6 - 7 * 0.1 - 3 - invocations / 1e6;
    expect(dev!.fixedMonthly.usd).toBeCloseTo(expected, 10);
    expect(usd(dev!.fixedMonthly.usd)).toBe('1.60');
  });

  it('says the endpoint has no price instead of guessing one', () => {
    const endpoint = lineOf(pipelineOf(dev!, 'breast-cancer').fixedMonthly, 'endpoint');
    expect(endpoint).toMatchObject({ quantity: 730, usd: null, missing: `no price for ml.m5.large (hosting) in us-east-1: ${HOW}` });
    expect(dev!.fixedMonthly.unpriced).toBe(1);
  });

  it('leaves every SageMaker job without a price, naming its use and how to add one, and the training total without them', () => {
    const run = pipelineOf(dev!, 'breast-cancer').trainingRun;
    expect(run.lines.map((l) => l.missing)).toEqual([
      `no price for ml.m5.large (processing) in us-east-1: ${HOW}`,
      `no price for ml.m5.xlarge (training) in us-east-1: ${HOW}`,
      `no price for ml.m5.large (processing) in us-east-1: ${HOW}`,
    ]);
    expect(run.total).toEqual({ usd: 0, unpriced: 3 });
  });

  it('prices the capture of 1 M requests at S3 Standard, kept 30 days and then 90 as noncurrent versions', () => {
    const storage = pipelineOf(dev!, 'breast-cancer').perMillionRequests;
    expect(lineOf(storage, 'a month stored').usd).toBeCloseTo(GB_PER_MILLION * 0.023, 10);
    expect(lineOf(storage, 'until it expires').usd).toBeCloseTo((GB_PER_MILLION * 0.023 * 120) / DAYS_PER_MONTH, 10);
  });

  it('counts the drift check 24 times a day and 730 times a month', () => {
    const drift = pipelineOf(dev!, 'breast-cancer').driftCheck;
    expect(lineOf(drift, 'per day').quantity).toBeCloseTo((24 * 5) / 60, 10);
    expect(lineOf(drift, 'per month').quantity).toBeCloseTo((730 * 5) / 60, 10);
  });
});

describe('cost: the default config at the test prices', () => {
  const [dev] = estimate(defaults, TEST_TABLE);
  const p = pipelineOf(dev!, 'breast-cancer');

  it('prices the endpoint as hosting price × instance count × 730 h', () => {
    expect(lineOf(p.fixedMonthly, 'endpoint')).toMatchObject({ quantity: 1 * 730, usd: 1 * 1 * 730, priceFile: TEST_PRICES_FILE });
  });

  it('prices a training run as the sum of price × instances × minutes / 60 over its jobs', () => {
    expect(lineOf(p.trainingRun, 'preprocess').usd).toBeCloseTo(time(5, 1, 10), 10);
    expect(lineOf(p.trainingRun, 'train').usd).toBeCloseTo(time(4, 1, 30), 10);
    expect(lineOf(p.trainingRun, 'evaluate').usd).toBeCloseTo(time(5, 1, 10), 10);
    expect(p.trainingRun.total).toEqual({ usd: expect.closeTo(time(5, 1, 10) + time(4, 1, 30) + time(5, 1, 10), 10), unpriced: 0 });
  });

  it('prices the 60-minute shadow window and the 10-minute bake at the hosting price of the endpoint fleet', () => {
    expect(lineOf(p.deployment, 'shadow window').usd).toBeCloseTo(time(1, 1, 60), 10);
    expect(lineOf(p.deployment, 'blue/green bake').usd).toBeCloseTo(time(1, 1, 10), 10);
  });

  it('prices the drift check per run, per day (24 runs) and per month (730 runs) at the processing price', () => {
    expect(lineOf(p.driftCheck, 'per run').usd).toBeCloseTo(time(5, 1, 5), 10);
    expect(lineOf(p.driftCheck, 'per day').usd).toBeCloseTo(24 * time(5, 1, 5), 10);
    expect(lineOf(p.driftCheck, 'per month').usd).toBeCloseTo(730 * time(5, 1, 5), 10);
  });

  it("adds the endpoint to the stage's fixed monthly total, leaving no line without a price", () => {
    expect(dev!.fixedMonthly).toEqual({ usd: expect.closeTo(1.6 + 730, 10), unpriced: 0 });
  });

  it('keeps the pinned prices the file does not supply, unmarked', () => {
    expect(lineOf(dev!.shared, 'KMS keys')).toMatchObject({ usd: 1 });
    expect(lineOf(dev!.shared, 'KMS keys').priceFile).toBeUndefined();
  });
});

describe('cost: examples/two-models-two-stages.json at the test prices, where prod (eu-west-1) overrides the fleet', () => {
  const [dev, prod] = estimate(twoStages, TEST_TABLE);

  it('prices prod in eu-west-1, from its own figures', () => {
    expect(prod).toMatchObject({ name: 'prod', region: 'eu-west-1', regionFrom: 'stage' });
    expect(prod!.problem).toBeUndefined();
  });

  it('multiplies the endpoint by 730 h, the instance count and the stage overrides', () => {
    expect(lineOf(pipelineOf(dev!, 'churn').fixedMonthly, 'endpoint').usd).toBe(1 * 1 * 730);
    expect(lineOf(pipelineOf(dev!, 'house-prices').fixedMonthly, 'endpoint').usd).toBe(1 * 1 * 730);
    // prod: ml.m5.xlarge × 2 at eu-west-1's 20.
    expect(lineOf(pipelineOf(prod!, 'churn').fixedMonthly, 'endpoint').usd).toBe(20 * 2 * 730);
    expect(lineOf(pipelineOf(prod!, 'house-prices').fixedMonthly, 'endpoint').usd).toBe(20 * 2 * 730);
  });

  it("prices one training run by job minutes, the pipeline's training instances, and one evaluation instance", () => {
    expect(pipelineOf(dev!, 'churn').trainingRun.total!.usd).toBeCloseTo(time(5, 1, 10) + time(4, 1, 30) + time(5, 1, 10), 10);
    // house-prices trains on 2 × ml.m5.xlarge.
    expect(pipelineOf(dev!, 'house-prices').trainingRun.total!.usd).toBeCloseTo(time(5, 1, 10) + time(4, 2, 30) + time(5, 1, 10), 10);
    expect(pipelineOf(prod!, 'churn').trainingRun.total!.usd).toBeCloseTo(time(50, 1, 10) + time(40, 1, 30) + time(50, 1, 10), 10);
    expect(pipelineOf(prod!, 'house-prices').trainingRun.total!.usd).toBeCloseTo(time(50, 1, 10) + time(40, 2, 30) + time(50, 1, 10), 10);
  });

  it('bills the evaluation job on one instance whatever evaluation.instanceCount says, as the workflow runs it', () => {
    const config = loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', evaluation: { instanceCount: 3 } }] } });
    expect(lineOf(pipelineOf(estimate(config, TEST_TABLE)[0]!, 'breast-cancer').trainingRun, 'evaluate').usd).toBeCloseTo(time(5, 1, 10), 10);
  });

  it("prices the shadow window and the bake at the stage's endpoint fleet", () => {
    expect(lineOf(pipelineOf(dev!, 'churn').deployment, 'shadow window').usd).toBeCloseTo(time(1, 1, 60), 10);
    const deployment = pipelineOf(prod!, 'churn').deployment;
    expect(lineOf(deployment, 'shadow window').usd).toBeCloseTo(time(20, 2, 60), 10);
    expect(lineOf(deployment, 'blue/green bake').usd).toBeCloseTo(time(20, 2, 10), 10);
    expect(deployment.total!.usd).toBeCloseTo(time(20, 2, 60) + time(20, 2, 10), 10);
  });

  it("prices the drift check at the stage's monitoring instance: per run, per day, per month", () => {
    const inDev = pipelineOf(dev!, 'churn').driftCheck;
    expect(lineOf(inDev, 'per run').usd).toBeCloseTo(time(5, 1, 5), 10);
    expect(lineOf(inDev, 'per month').usd).toBeCloseTo(730 * time(5, 1, 5), 10);
    // prod: monitoring on ml.m5.xlarge at eu-west-1's 60.
    const inProd = pipelineOf(prod!, 'churn').driftCheck;
    expect(lineOf(inProd, 'per run').usd).toBeCloseTo(time(60, 1, 5), 10);
    expect(lineOf(inProd, 'per day').usd).toBeCloseTo(24 * time(60, 1, 5), 10);
    expect(lineOf(inProd, 'per month').usd).toBeCloseTo(730 * time(60, 1, 5), 10);
  });

  it('keeps dev captures 30 + 7 days (its noncurrent expiry) and prod 30 + 90', () => {
    const lifetime = (s: StageEstimate) => lineOf(pipelineOf(s, 'churn').perMillionRequests, 'until it expires');
    expect(lifetime(dev!).quantity).toBeCloseTo((GB_PER_MILLION * 37) / DAYS_PER_MONTH, 10);
    expect(lifetime(dev!).usd).toBeCloseTo((GB_PER_MILLION * 0.023 * 37) / DAYS_PER_MONTH, 10);
    expect(lifetime(prod!).quantity).toBeCloseTo((GB_PER_MILLION * 120) / DAYS_PER_MONTH, 10);
    // eu-west-1 has no S3 price: the table pins us-east-1 only, and the test file supplies SageMaker's alone.
    expect(lifetime(prod!).usd).toBeNull();
  });

  it('adds both endpoints to the stage totals, taking each free tier once per stage', () => {
    const invocations = 4 * 24 * DAYS_PER_MONTH;
    const monitoring = 2 * (13 * 0.1 + 3) + invocations / 1e6 - 10 * 0.1 - 2 * 3 - invocations / 1e6;
    expect(dev!.fixedMonthly).toEqual({ usd: expect.closeTo(1 + 2 * 730 + monitoring, 10), unpriced: 0 });
  });

  it("adds prod's endpoints, and counts the lines eu-west-1 has no price for: the KMS key, 3 free tiers, 3 per pipeline", () => {
    expect(prod!.fixedMonthly).toEqual({ usd: 2 * 20 * 2 * 730, unpriced: 1 + 3 + 2 * 3 });
    expect(lineOf(prod!.shared, 'KMS keys').missing).toBe(`no price for KMS keys in eu-west-1: ${HOW}`);
  });
});

describe('cost: regions and endpoint kinds the table or the platform treat apart', () => {
  it("names the region and the stage when the table has no prices for the stage's region", () => {
    const prod = estimate(twoStages)[1]!;
    expect(prod.problem).toBe('no prices for region eu-west-1 (stage prod): the price table has us-east-1; add them with --prices <file> (README "Cost")');
    expect(lineOf(prod.shared, 'KMS keys').missing).toBe(`no price for KMS keys in eu-west-1: ${HOW}`);
    expect(prod.fixedMonthly.usd).toBe(0);
  });

  it('uses --region for stages that name none, and the stage region over it', () => {
    expect(estimate(defaults, PRICE_TABLE, 'eu-west-1')[0]).toMatchObject({ region: 'eu-west-1', regionFrom: 'flag' });
    expect(estimate(twoStages, PRICE_TABLE, 'us-west-2')[1]).toMatchObject({ region: 'eu-west-1', regionFrom: 'stage' });
  });

  it('bills a serverless endpoint per request: no fixed hours, no shadow, no capture, GB-seconds per 1 M', () => {
    const config = loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', deployment: { serverless: { memorySizeMb: 2048 } } }] } });
    const p = pipelineOf(estimate(config, TEST_TABLE)[0]!, 'breast-cancer');
    expect(lineOf(p.fixedMonthly, 'endpoint').usd).toBe(0);
    expect(p.deployment.total!.usd).toBe(0);
    expect(lineOf(p.perMillionRequests, 'serverless compute')).toMatchObject({ quantity: 1_000_000 * 2 * 0.1, usd: 1_000_000 * 2 * 0.1 * 7 });
    expect(lineOf(p.perMillionRequests, 'capture storage').usd).toBe(0);
  });

  it('bills VPC interface endpoints per endpoint, zone and hour, and says when the table has no price for them', () => {
    const config = loadConfig();
    const inventory = { network: { ...DATA_STACK, kmsKeys: 0, endpointAzs: 12 }, ...inventoryOf(config) };
    const stage = (table: PriceTable) => estimateStage({ stage: config.stages[0]!, pipelines: config.pipelines, inventory }, table, DEFAULT_ASSUMPTIONS);
    expect(lineOf(stage(TEST_TABLE).shared, 'VPC interface endpoints')).toMatchObject({
      detail: '12 endpoint-zones × 730 h',
      quantity: 12 * 730,
      usd: 12 * 730 * 8,
    });
    expect(lineOf(stage(PRICE_TABLE).shared, 'VPC interface endpoints').missing).toBe(`no price for VPC interface endpoints in us-east-1: ${HOW}`);
    expect(estimate(config)[0]!.shared.lines.map((l) => l.label)).not.toContain('VPC interface endpoints');
  });

  it('leaves disabled schedules out of the invocations, and prices no drift check when monitoring is off', () => {
    const config = loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', monitoring: { enabled: false } }] } });
    const stack = { ...PIPELINE_STACK, schedules: [PIPELINE_STACK.schedules[0]!, { expression: 'rate(1 hour)', enabled: false }] };
    const stage = estimateStage(
      { stage: config.stages[0]!, pipelines: config.pipelines, inventory: { data: DATA_STACK, pipelines: { 'breast-cancer': stack } } },
      PRICE_TABLE,
      DEFAULT_ASSUMPTIONS,
    );
    expect(lineOf(stage.pipelines[0]!.fixedMonthly, 'Scheduler invocations').quantity).toBeCloseTo((24 * DAYS_PER_MONTH) / 1e6, 12);
    expect(stage.pipelines[0]!.driftCheck.lines).toEqual([expect.objectContaining({ usd: 0, note: 'monitoring.enabled is false' })]);
  });
});

describe('cost: schedules', () => {
  it.each([
    ['rate(1 hour)', 24],
    ['rate(15 minutes)', 96],
    ['rate(7 days)', 1 / 7],
    ['cron(0 3 ? * MON *)', 1 / 7],
    ['cron(0 */6 ? * MON-FRI *)', (4 * 5) / 7],
    ['cron(0,30 8-9 ? * SAT,SUN *)', (2 * 2 * 2) / 7],
    ['cron(15 2 1 * ? *)', 12 / 365.25],
    ['cron(0 0 1 JAN ? *)', 1 / 365.25],
    ['cron(0 12 ? * 2#1 *)', 12 / 365.25],
  ])('fires %s %d times a day on average', (expression, perDay) => {
    expect(runsPerDay(expression)).toBeCloseTo(perDay, 10);
  });

  it('refuses an expression it cannot read', () => {
    expect(() => runsPerDay('every hour')).toThrow(ScheduleError);
    expect(() => runsPerDay('cron(61 * * * ? *)')).toThrow(/cron field "61"/);
  });
});

describe('cost: the command line', () => {
  it('takes the config as the CDK CLI does, or with --config', () => {
    expect(parseArgs(['-c', 'config=examples/single-model.json']).configFile).toBe('examples/single-model.json');
    expect(parseArgs(['--config', 'a.json']).configFile).toBe('a.json');
    expect(parseArgs(['-c', 'mlops={"project":"x"}']).inline).toEqual({ project: 'x' });
  });

  it('overrides the stated durations and sizes, keeping the other defaults', () => {
    const args = parseArgs(['--train-minutes', '45', '--request-bytes', '512', '--json']);
    expect(args.assumptions).toEqual({ ...DEFAULT_ASSUMPTIONS, trainMinutes: 45, requestBytes: 512 });
    expect(args.json).toBe(true);
  });

  it('takes a prices file with --prices', () => {
    expect(parseArgs(['--prices', 'team-prices.json']).pricesFile).toBe('team-prices.json');
    expect(() => parseArgs(['--prices'])).toThrow(/--prices needs a value/);
  });

  it('lists every flag it takes in --help', () => {
    expect(parseArgs(['--help']).help).toBe(true);
    expect(parseArgs(['-h']).help).toBe(true);
    const flags = ['-c', '--context', '--config', '--region', '--prices', '--json', '--help', '-h'];
    const numbers = ['--preprocess-minutes', '--train-minutes', '--evaluate-minutes', '--drift-minutes', '--request-bytes', '--serverless-ms'];
    for (const flag of numbers) expect(() => parseArgs([flag, '1'])).not.toThrow();
    for (const flag of [...flags, ...numbers]) expect(USAGE).toMatch(new RegExp(`(^|[ ,])${flag}[ ,]`, 'm'));
    // Every flag USAGE names is one the parser takes.
    for (const named of USAGE.matchAll(/(?<=\s)--?[a-z][a-z-]*/g)) expect([...flags, ...numbers]).toContain(named[0]);
  });

  it('refuses what it cannot use, naming the argument', () => {
    expect(() => parseArgs(['--drift-minutes', '0'])).toThrow(new UsageError('--drift-minutes expects a positive number, got "0"'));
    expect(() => parseArgs(['--region'])).toThrow(/--region needs a value/);
    expect(() => parseArgs(['-c', 'stage=prod'])).toThrow(/config=<file> or mlops=<json>/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown argument "--bogus"/);
  });
});

describe('cost: the printed report', () => {
  const report = formatReport({ config: 'defaults', table: PRICE_TABLE, assumptions: DEFAULT_ASSUMPTIONS }, estimate(defaults));
  const supplied = formatReport({ config: 'defaults', table: TEST_TABLE, assumptions: DEFAULT_ASSUMPTIONS }, estimate(defaults, TEST_TABLE));

  it('states the pinned date, the regions, that no SageMaker price is pinned, and the assumptions', () => {
    expect(report).toContain('Prices: pinned 2026-12-02 for us-east-1 (sources in tools/cost/prices.ts; no SageMaker instance prices)');
    expect(report).toContain('Assumed: preprocess 10 min, train 30 min, evaluate 10 min, drift check 5 min a run');
    expect(report).not.toContain('Supplied:');
  });

  it('prints each line without a price with how to add one, and the stage total with how many lack one', () => {
    expect(report).toMatch(
      /endpoint +ml\.m5\.large × 1 × 730 h +— {2}no price for ml\.m5\.large \(hosting\) in us-east-1: add it with --prices <file> \(README "Cost"\)/,
    );
    expect(report).toMatch(/Fixed monthly, stage dev +1\.60 {2}\+ 1 line without a price/);
  });

  it('names the prices file, and marks each line priced from it', () => {
    expect(supplied).toContain(`Supplied: 14 prices for us-east-1, eu-west-1 from ${TEST_PRICES_FILE} (dated 2026-12-02), each over the pinned one`);
    expect(supplied).toContain('\n  source: ARBITRARY TEST FIGURES, NOT AWS PRICES (test/cost/estimate.test.ts)\n');
    expect(supplied).toMatch(/endpoint +ml\.m5\.large × 1 × 730 h +730\.00 {2}price from --prices; auto-scaling may add up to 3 more/);
    expect(supplied).toMatch(/KMS keys +1 \(each yearly rotation adds a key-month\) +1\.00\n/);
    expect(supplied).toMatch(/Fixed monthly, stage dev +731\.60\n/);
  });

  it('prints USD with two decimals, thousands separated, never -0.00', () => {
    expect([usd(1234.5), usd(-0.001), usd(0.125)]).toEqual(['1,234.50', '0.00', '0.13']);
  });
});

describe('cost: the pinned price table', () => {
  it('names a page and a date for every price and allowance', () => {
    for (const prices of Object.values(PRICE_TABLE.regions)) {
      for (const { source } of ratesOf(prices)) {
        expect(source.url).toMatch(/^https:\/\/\S+$/);
        expect(source.date).toMatch(/^(read on )?\d{4}-\d{2}-\d{2}$/);
      }
    }
  });
});

describe('cost: a stage that promotes another (examples/promote-dev-to-prod.json)', () => {
  const [dev, prod] = estimate(loadConfig({ file: 'examples/promote-dev-to-prod.json' }), TEST_TABLE);

  it('bills training in the source stage only: the promoting stage has no training run', () => {
    const churn = (s: StageEstimate) => pipelineOf(s, 'churn');
    expect(churn(prod!).trainingRun.lines).toEqual([]);
    expect(churn(prod!).trainingRun.title).toBe('No training here: models come from stage dev (promoteFrom)');
    // dev: 10 min ml.m5.large processing, 30 min ml.m5.xlarge training, 10 min evaluation, at eu-west-1's test figures.
    expect(churn(dev!).trainingRun.total!.usd).toBeCloseTo(time(50, 1, 10) + time(40, 1, 30) + time(50, 1, 10), 6);
  });
});
