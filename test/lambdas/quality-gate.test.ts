import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, afterAll } from 'vitest';
import { handler, ruleFromEnv, sageMakerChampions } from '../../lambdas/quality-gate/handler';
import { decide, runGate } from '../../lambdas/quality-gate/logic';
import type { GateRule } from '../../lambdas/quality-gate/schema';
import { memoryLogger } from '../../lambdas/shared/logger';
import { MemoryObjectStore } from '../../offline/memory-store';
import { validateSageMakerRequest } from '../../offline/api-models';

const rule = (over: Partial<GateRule> = {}): GateRule => ({
  metric: 'auc',
  threshold: 0.9,
  direction: 'maximize',
  mustBeatChampion: false,
  modelPackageGroup: 'mlops-dev-churn',
  ...over,
});
const champion = (value?: number) => ({
  modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/3',
  ...(value === undefined ? {} : { value }),
});

const SHA = 'b'.repeat(64);

describe('quality gate decision', () => {
  it.each([
    ['passes at the threshold', { auc: 0.9 }, rule(), undefined, true, []],
    ['fails below the threshold', { auc: 0.85 }, rule(), undefined, false, ['auc 0.8500 is not at least the threshold 0.9000']],
    ['passes a minimized metric under the threshold', { rmse: 10 }, rule({ metric: 'rmse', threshold: 12, direction: 'minimize' }), undefined, true, []],
    [
      'fails a minimized metric over the threshold',
      { rmse: 13 },
      rule({ metric: 'rmse', threshold: 12, direction: 'minimize' }),
      undefined,
      false,
      ['rmse 13.00 is not at most the threshold 12.00'],
    ],
    [
      'fails when it does not beat the champion',
      { auc: 0.95 },
      rule({ mustBeatChampion: true }),
      champion(0.96),
      false,
      [expect.stringContaining("does not beat the approved model's 0.9600")],
    ],
    ['fails on a tie with the champion', { auc: 0.96 }, rule({ mustBeatChampion: true }), champion(0.96), false, [expect.stringContaining('does not beat')]],
    ['passes when it beats the champion', { auc: 0.97 }, rule({ mustBeatChampion: true }), champion(0.96), true, []],
    [
      'passes with a note when the champion recorded no metric',
      { auc: 0.97 },
      rule({ mustBeatChampion: true }),
      champion(),
      true,
      [expect.stringContaining('recorded no auc')],
    ],
    ['passes when there is no champion yet', { auc: 0.97 }, rule({ mustBeatChampion: true }), undefined, true, []],
  ])('%s', (_, metrics, r, champ, passed, reasons) => {
    const d = decide(metrics, r, champ);
    expect(d.passed).toBe(passed);
    expect(d.reasons).toEqual(reasons);
  });

  it('throws a typed error when the report lacks the metric', () => {
    expect(() => decide({ accuracy: 0.9 }, rule(), undefined)).toThrow(
      expect.objectContaining({ name: 'EvaluationReportError', message: 'the evaluation report has no finite "auc" (it has: accuracy)' }),
    );
  });
});

describe('runGate', () => {
  it('reads the report from S3 and looks up the champion only when asked to', async () => {
    const store = new MemoryObjectStore();
    store.put('artifacts', 'churn/runs/r1/evaluation/evaluation.json', JSON.stringify({ metrics: { auc: 0.93 }, model: { sha256: SHA } }));
    let lookups = 0;
    const champions = {
      latestApproved: async () => {
        lookups++;
        return champion(0.91);
      },
    };
    const a = await runGate('s3://artifacts/churn/runs/r1/evaluation/evaluation.json', { store, champions, rule: rule(), log: memoryLogger() });
    expect(a).toMatchObject({ passed: true, value: 0.93, valueText: '0.93' });
    expect(lookups).toBe(0);
    const b = await runGate('s3://artifacts/churn/runs/r1/evaluation/evaluation.json', {
      store,
      champions,
      rule: rule({ mustBeatChampion: true }),
      log: memoryLogger(),
    });
    expect(b.champion).toEqual(champion(0.91));
    expect(lookups).toBe(1);
  });

  it('names the report when it is missing or malformed', async () => {
    const store = new MemoryObjectStore();
    store.put('a', 'bad.json', '{"metrics": "none"}');
    const deps = { store, champions: { latestApproved: async () => undefined }, rule: rule(), log: memoryLogger() };
    await expect(runGate('s3://a/missing.json', deps)).rejects.toMatchObject({
      name: 'EvaluationReportError',
      message: expect.stringContaining('cannot read the evaluation report s3://a/missing.json'),
    });
    await expect(runGate('s3://a/bad.json', deps)).rejects.toMatchObject({
      name: 'EvaluationReportError',
      message: expect.stringContaining('is not what ml/evaluate.py writes: metrics: '),
    });
    // A report without the evaluated model's hash: nothing could check a promoted copy against it.
    store.put('a', 'nohash.json', '{"metrics": {"auc": 0.9}}');
    await expect(runGate('s3://a/nohash.json', deps)).rejects.toMatchObject({ name: 'EvaluationReportError', message: expect.stringContaining('model: ') });
  });
});

describe('quality-gate handler', () => {
  const sm = mockClient(SageMakerClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    sm.reset();
    s3.reset();
  });
  afterAll(() => {
    sm.restore();
    s3.restore();
  });

  it("reads the champion's metric from its CustomerMetadataProperties with valid SageMaker requests", async () => {
    sm.on(ListModelPackagesCommand).resolves({
      ModelPackageSummaryList: [
        {
          ModelPackageArn: champion().modelPackageArn,
          ModelPackageStatus: 'Completed',
          CreationTime: new Date(),
          ModelPackageGroupName: 'mlops-dev-churn',
          ModelPackageVersion: 3,
        } as never,
      ],
    });
    sm.on(DescribeModelPackageCommand).resolves({ CustomerMetadataProperties: { 'metric:auc': '0.955' } } as never);
    const c = await sageMakerChampions(new SageMakerClient({})).latestApproved('mlops-dev-churn', 'auc');
    expect(c).toEqual(champion(0.955));
    const list = sm.commandCalls(ListModelPackagesCommand)[0]!.args[0].input;
    expect(list).toEqual({
      ModelPackageGroupName: 'mlops-dev-churn',
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    });
    validateSageMakerRequest('ListModelPackages', list);
    validateSageMakerRequest('DescribeModelPackage', sm.commandCalls(DescribeModelPackageCommand)[0]!.args[0].input);
  });

  it('decides from the environment rule and the report', async () => {
    Object.assign(process.env, { METRIC: 'auc', THRESHOLD: '0.9', DIRECTION: 'maximize', MUST_BEAT_CHAMPION: 'false', MODEL_PACKAGE_GROUP: 'g' });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify({ metrics: { auc: 0.8 }, model: { sha256: SHA } }) } as never });
    await expect(handler({ evaluationReport: 's3://a/r/evaluation.json' })).resolves.toMatchObject({ passed: false, value: 0.8 });
    expect(sm.calls()).toHaveLength(0);
  });

  it('refuses a DIRECTION other than maximize or minimize', () => {
    expect(() => ruleFromEnv({ METRIC: 'auc', THRESHOLD: '1', DIRECTION: 'up', MUST_BEAT_CHAMPION: 'false', MODEL_PACKAGE_GROUP: 'g' })).toThrow(
      'environment variable DIRECTION is not valid: Invalid option: expected one of "maximize"|"minimize"',
    );
  });
});
