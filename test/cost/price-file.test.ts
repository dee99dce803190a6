import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import { pipelinesOf } from '../../lib/config/stages';
import { estimateStage } from '../../tools/cost/estimate';
import { pricesIn } from '../../tools/cost/lines';
import { DEFAULT_ASSUMPTIONS } from '../../tools/cost/pipeline';
import { PriceFileError, parsePriceFile, readPriceFile } from '../../tools/cost/price-file';
import { PRICE_TABLE, type PriceTable } from '../../tools/cost/prices';

/** ARBITRARY TEST FIGURES, NOT AWS PRICES: a file as a team would write it, with round numbers. */
const file = (regions: unknown, extra: Record<string, unknown> = {}) => ({ date: '2026-12-02', source: 'arbitrary test figures', regions, ...extra });

/** The problems `input` is refused with. */
const problemsOf = (input: unknown): readonly string[] => {
  try {
    parsePriceFile(input, 'team-prices.json');
  } catch (e) {
    if (e instanceof PriceFileError) return e.problems;
    throw e;
  }
  throw new Error('the file was accepted');
};

describe('cost: a prices file', () => {
  it('gives a supplied price the unit of its use and the file as its source', () => {
    const supplied = parsePriceFile(file({ 'us-east-1': { sagemaker: { hosting: { 'ml.m5.large': 1 } }, kmsKeyMonth: 2 } }), 'team-prices.json');
    const source = { url: 'arbitrary test figures', date: '2026-12-02', file: 'team-prices.json' };
    expect(supplied.regions['us-east-1']).toEqual({
      kmsKeyMonth: { usd: 2, unit: 'key-month', source },
      sagemaker: { training: {}, processing: {}, hosting: { 'ml.m5.large': { usd: 1, unit: 'instance-hour', source } } },
    });
  });

  it('wins over the pinned price of the same item and region, and leaves the others pinned', () => {
    const table: PriceTable = { ...PRICE_TABLE, supplied: parsePriceFile(file({ 'us-east-1': { kmsKeyMonth: 2 } }), 'team-prices.json') };
    const prices = pricesIn(table, 'us-east-1');
    expect(prices((r) => r.kmsKeyMonth, 'KMS keys')).toMatchObject({ usd: 2, source: { file: 'team-prices.json' } });
    expect(prices((r) => r.alarmMetricMonth, 'CloudWatch alarms')).toBe(PRICE_TABLE.regions['us-east-1']!.alarmMetricMonth);
  });

  it('marks a free-tier line whose allowance it supplies', () => {
    const config = loadConfig();
    const stage = config.stages[0]!;
    const pipeline = { kmsKeys: 0, directAlarmMetrics: 7, mathAlarmMetrics: 6, dashboards: 1, schedules: [], endpointAzs: 0 };
    const inventory = {
      data: { ...pipeline, kmsKeys: 1, directAlarmMetrics: 0, mathAlarmMetrics: 0, dashboards: 0 },
      pipelines: { 'breast-cancer': pipeline },
    };
    const table: PriceTable = { ...PRICE_TABLE, supplied: parsePriceFile(file({ 'us-east-1': { freeAlarmMetrics: 5 } }), 'team-prices.json') };
    const estimate = estimateStage({ stage, pipelines: pipelinesOf(config, stage), inventory }, table, DEFAULT_ASSUMPTIONS);
    expect(estimate.shared.lines.find((l) => l.label === 'free alarm metrics')).toMatchObject({ detail: '5 free', priceFile: 'team-prices.json' });
    expect(estimate.shared.lines.find((l) => l.label === 'free dashboards')!.priceFile).toBeUndefined();
  });

  it('names each bad field, with what it got', () => {
    const problems = problemsOf(
      file({ 'us-east-1': { sagemaker: { hosting: { 'ml.m5.large': '0.115' }, processing: { 'ml.m5.large': 0 } }, kmsKeyMonth: -1 } }, { date: '2026-12' }),
    );
    expect(problems).toEqual([
      'date: expected the day the prices were read or agreed, as YYYY-MM-DD, got "2026-12"',
      'regions["us-east-1"].sagemaker.processing["ml.m5.large"]: expected USD per instance-hour (processing), above 0, got 0',
      'regions["us-east-1"].sagemaker.hosting["ml.m5.large"]: expected a number of USD per instance-hour (hosting), got "0.115"',
      'regions["us-east-1"].kmsKeyMonth: expected USD per key-month, above 0, got -1',
    ]);
  });

  it('refuses an instance type its use does not have, naming the nearest', () => {
    expect(problemsOf(file({ 'us-east-1': { sagemaker: { training: { 'ml.t2.medium': 1 }, hosting: { 'ml.m5.larg': 1 } } } }))).toEqual([
      'regions["us-east-1"].sagemaker.training["ml.t2.medium"]: expected a SageMaker training instance type, such as "ml.t3.medium" (the nearest; "ml.t2.medium" is one for hosting only)',
      'regions["us-east-1"].sagemaker.hosting["ml.m5.larg"]: expected a SageMaker hosting instance type, such as "ml.m5.large" (the nearest)',
    ]);
  });

  it('refuses a region that is not a region code, and an unknown or misplaced field, naming the one meant', () => {
    expect(problemsOf(file({ 'us-east1': {}, 'eu-west-1': { hosting: {} } }, { extra: true }))).toEqual([
      'regions["us-east1"]: expected an AWS region code, such as "us-east-1"',
      'regions["eu-west-1"].hosting: unknown field; did you mean "hosting" (it goes under regions["<region>"].sagemaker)?',
      'extra: unknown field (README "Cost" lists the fields)',
    ]);
  });

  it('refuses a file that names no source or no region', () => {
    expect(problemsOf({ date: '2026-12-02', source: ' ', regions: {} })).toEqual([
      'source: expected where the prices come from, got " "',
      'regions: expected at least one region',
    ]);
  });
});

describe('cost: reading a prices file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cost-prices-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and where its JSON breaks', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{\n  "date": "2026-12-02",\n}\n');
    expect(() => readPriceFile(path)).toThrow(new RegExp(`^invalid prices file ${path}:\\n  - not valid JSON: .* line 3, column 1`));
  });

  it('names a file it cannot read', () => {
    expect(() => readPriceFile(join(dir, 'missing.json'))).toThrow(/^invalid prices file .*missing\.json:\n {2}- cannot read the file: ENOENT/);
  });
});
