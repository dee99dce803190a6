import { describe, expect, it } from 'vitest';
import { agreementOf, outputsAgree, parseCaptureLines } from '../../lambdas/deployment/capture';
import { hourPrefixes } from '../../lambdas/shared/capture-layout';
import { compareVariants, type PromotionRules, type VariantMetrics } from '../../lambdas/deployment/compare';
import { firstInLine, takeTurn } from '../../lambdas/deployment/logic';
import { EndpointBusyError, EndpointUnusableError, planDeployment, resourceName } from '../../lambdas/deployment/plan';

const rules: PromotionRules = {
  minInvocations: 100,
  onInsufficientData: 'rollback',
  maxErrorRateIncrease: 0.01,
  maxLatencyIncreasePercent: 20,
  minAgreement: 0.95,
  minAgreementPairs: 30,
};
const prod: VariantMetrics = { invocations: 1000, errors: 10, p99LatencyUs: 50_000 };

describe('shadow vs production', () => {
  it.each([
    ['equal numbers', { invocations: 1000, errors: 10, p99LatencyUs: 50_000 }, 'promote', 'evidence'],
    ['error rate up by exactly the allowance', { invocations: 1000, errors: 20, p99LatencyUs: 50_000 }, 'promote', 'evidence'],
    ['error rate up by more than the allowance', { invocations: 1000, errors: 21, p99LatencyUs: 50_000 }, 'rollback', 'evidence'],
    ['latency up by exactly 20%', { invocations: 1000, errors: 10, p99LatencyUs: 60_000 }, 'promote', 'evidence'],
    ['latency up by more than 20%', { invocations: 1000, errors: 10, p99LatencyUs: 60_001 }, 'rollback', 'evidence'],
    ['faster and fewer errors', { invocations: 1000, errors: 0, p99LatencyUs: 10_000 }, 'promote', 'evidence'],
    ['no traffic at all (no datapoints)', {}, 'rollback', 'insufficient'],
    ['too little traffic', { invocations: 99, errors: 0, p99LatencyUs: 10_000 }, 'rollback', 'insufficient'],
    ['latency missing for the shadow', { invocations: 1000, errors: 10 }, 'rollback', 'insufficient'],
  ] as const)('%s → %s (%s)', (_name, shadow, decision, basis) => {
    const c = compareVariants(prod, shadow, undefined, { ...rules, minAgreement: undefined });
    expect(c.decision).toBe(decision);
    expect(c.basis).toBe(basis);
  });

  it('counts a worse metric as evidence even when another metric is missing', () => {
    const c = compareVariants({ invocations: 1000, errors: 0 }, { invocations: 1000, errors: 500 }, undefined, { ...rules, onInsufficientData: 'promote' });
    expect(c.decision).toBe('rollback');
    expect(c.basis).toBe('evidence');
  });

  it('promotes on insufficient data only when configured to, and says so', () => {
    const c = compareVariants(prod, {}, undefined, { ...rules, onInsufficientData: 'promote' });
    expect(c.decision).toBe('promote');
    expect(c.reasons).toContain('not enough evidence: promotion.onInsufficientData is "promote"');
  });

  it('treats production without invocations as missing evidence, never a division by zero', () => {
    const c = compareVariants({ invocations: 0 }, { invocations: 500, errors: 0, p99LatencyUs: 1 }, undefined, rules);
    expect(c).toMatchObject({ decision: 'rollback', basis: 'insufficient', production: { errorRate: null } });
  });

  it.each([
    [{ pairs: 100, agreed: 96 }, 'promote'],
    [{ pairs: 100, agreed: 94 }, 'rollback'],
    [{ pairs: 10, agreed: 0 }, 'promote'],
  ] as const)('agreement %o → %s (too few pairs are noted, not held against the model)', (agreement, decision) => {
    const c = compareVariants(prod, prod, agreement, rules);
    expect(c.decision).toBe(decision);
    if (agreement.pairs < 30) expect(c.reasons[0]).toMatch(/^prediction agreement not checked: 10 captured/);
  });

  it('reports error rates and latency in readable units', () => {
    const c = compareVariants(prod, { invocations: 1000, errors: 50, p99LatencyUs: 90_000 }, undefined, rules);
    expect(c.reasons).toEqual([
      "shadow error rate 5.00% exceeds production's 1.00% by more than 1.00% (promotion.maxErrorRateIncrease)",
      "shadow p99 latency 90.0 ms exceeds production's 50.0 ms by more than 20% (promotion.maxLatencyIncreasePercent)",
      'prediction agreement not checked: 0 captured request(s) matched across both variants, fewer than 30',
    ]);
    expect(c.shadow).toEqual({ invocations: 1000, errorRate: 0.05, p99LatencyMs: 90 });
  });
});

describe('prediction agreement from data capture', () => {
  const line = (input: string, output: string, encoding = 'CSV') =>
    JSON.stringify({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: input, encoding },
        endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: output, encoding },
      },
      eventMetadata: { eventId: 'e', inferenceTime: '2026-11-22T11:00:00Z' },
      eventVersion: '0',
    });

  it('reads CSV and BASE64 payloads and skips malformed lines', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const parsed = parseCaptureLines([line('1,2', '0.9'), 'not json', line(b64('3,4'), b64('0.1'), 'BASE64'), '{}'].join('\n'));
    expect(parsed).toEqual({
      records: [
        { input: '1,2', output: '0.9' },
        { input: '3,4', output: '0.1' },
      ],
      skipped: 2,
    });
  });

  it.each([
    ['0.9', '0.7', 'binary_classification', true],
    ['0.9', '0.4', 'binary_classification', false],
    ['0.1,0.7,0.2', '0.2,0.5,0.3', 'multiclass_classification', true],
    ['0.1,0.7,0.2', '0.6,0.3,0.1', 'multiclass_classification', false],
    ['100', '104', 'regression', true],
    ['100', '106', 'regression', false],
  ] as const)('%s vs %s (%s) → %s', (a, b, type, agree) => {
    expect(outputsAgree(a, b, type, 0.05)).toBe(agree);
  });

  it('pairs the same request seen by both variants, repeats included, and ignores the unmatched', () => {
    const production = [
      { input: 'a', output: '0.9' },
      { input: 'a', output: '0.8' },
      { input: 'b', output: '0.2' },
    ];
    const shadow = [
      { input: 'a', output: '0.7' },
      { input: 'a', output: '0.3' },
      { input: 'a', output: '0.9' },
      { input: 'c', output: '0.1' },
    ];
    expect(agreementOf(production, shadow, 'binary_classification', 0)).toEqual({ pairs: 2, agreed: 1 });
  });

  it('lists the UTC hour folders of the window, bounded', () => {
    expect(hourPrefixes(new Date('2026-11-22T22:30:00Z'), new Date('2026-11-23T00:10:00Z'))).toEqual(['2026/11/22/22/', '2026/11/22/23/', '2026/11/23/00/']);
    expect(hourPrefixes(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'), 5)).toHaveLength(5);
  });
});

describe('deployment plan', () => {
  const settings = { instanceType: 'ml.m5.large', instanceCount: 2, shadowSamplingPercent: 50 };
  const base = { prefix: 'mlops-dev-churn', endpointName: 'mlops-dev-churn', packageVersion: '12', executionName: 'v12-abc', settings };
  const current = {
    VariantName: 'primary',
    ModelName: 'mlops-dev-churn--m11-aaaaaaaa',
    InstanceType: 'ml.c5.large',
    InitialInstanceCount: 3,
    InitialVariantWeight: 1,
    ExtraField: 'x',
  } as never;

  it('creates the endpoint when there is none', () => {
    const p = planDeployment({ ...base, endpoint: { exists: false } });
    expect(p).toMatchObject({ mode: 'create', how: 'created', currentConfigName: null, modelName: resourceName('mlops-dev-churn', 'm', '12', 'v12-abc') });
    expect(p.configs.promote.productionVariants).toEqual([
      { VariantName: 'primary', ModelName: p.modelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 },
    ]);
  });

  it('shadows the new model beside the current production variant, kept as it is', () => {
    const p = planDeployment({ ...base, endpoint: { exists: true, status: 'InService', endpointConfigName: 'old', productionVariants: [current] } });
    expect(p.mode).toBe('shadow');
    expect(p.configs.shadow.productionVariants).toEqual([
      { VariantName: 'primary', ModelName: 'mlops-dev-churn--m11-aaaaaaaa', InstanceType: 'ml.c5.large', InitialInstanceCount: 3, InitialVariantWeight: 1 },
    ]);
    expect(p.configs.shadow.shadowVariants).toEqual([
      { VariantName: 'shadow', ModelName: p.modelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 0.5 },
    ]);
    expect(p.configs.restore.productionVariants).toEqual(p.configs.shadow.productionVariants);
    expect(p.currentModelName).toBe('mlops-dev-churn--m11-aaaaaaaa');
  });

  it('names resources within 63 characters, under the pipeline prefix, different per deployment', () => {
    const a = planDeployment({ ...base, prefix: 'p'.repeat(40), endpoint: { exists: false } });
    const b = planDeployment({ ...base, prefix: 'p'.repeat(40), executionName: 'v12-other', endpoint: { exists: false } });
    for (const n of [a.modelName, a.configs.shadow.name, a.configs.promote.name, a.configs.restore.name]) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n.startsWith(`${'p'.repeat(40)}--`)).toBe(true);
    }
    expect(a.modelName).not.toBe(b.modelName);
  });

  it.each(['Creating', 'Updating', 'SystemUpdating', 'RollingBack'])('waits while the endpoint is %s', (status) => {
    expect(() => planDeployment({ ...base, endpoint: { exists: true, status, endpointConfigName: 'x', productionVariants: [] } })).toThrow(EndpointBusyError);
  });

  it('refuses a Failed endpoint, saying how to recover', () => {
    expect(() =>
      planDeployment({ ...base, endpoint: { exists: true, status: 'Failed', endpointConfigName: 'x', productionVariants: [], failureReason: 'ping failed' } }),
    ).toThrow(
      new EndpointUnusableError(
        'endpoint mlops-dev-churn is Failed (ping failed); delete it (aws sagemaker delete-endpoint --endpoint-name mlops-dev-churn) and approve again',
      ),
    );
  });

  it('refuses an endpoint it did not make (no "primary" variant)', () => {
    expect(() =>
      planDeployment({
        ...base,
        endpoint: { exists: true, status: 'InService', endpointConfigName: 'x', productionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm' }] },
      }),
    ).toThrow(/has no "primary" variant \(it has AllTraffic\)/);
  });

  it('replaces directly on a serverless endpoint', () => {
    const p = planDeployment({
      ...base,
      settings: { ...settings, serverless: { memorySizeMb: 2048, maxConcurrency: 5 } },
      endpoint: { exists: true, status: 'InService', endpointConfigName: 'x', productionVariants: [current] },
    });
    expect(p).toMatchObject({ mode: 'replace', how: 'replaced', instanceBased: false });
    expect(p.configs.promote.productionVariants).toEqual([
      { VariantName: 'primary', ModelName: p.modelName, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
    ]);
  });
});

describe('one deployment at a time', () => {
  const at = (arn: string, iso: string) => ({ executionArn: arn, startDate: new Date(iso) });
  const me = at('arn:b', '2026-11-22T10:00:00Z');

  it('goes when nothing else runs (the list may or may not include itself)', () => {
    expect(takeTurn(me, [], 0, 48)).toEqual({ proceed: true, attempt: 1, blockedBy: null, exhausted: false });
    expect(takeTurn(me, [me], 0, 48).proceed).toBe(true);
  });

  it('waits behind an earlier execution and goes before a later one', () => {
    expect(takeTurn(me, [at('arn:a', '2026-11-22T09:59:59Z')], 0, 48)).toMatchObject({ proceed: false, blockedBy: 'arn:a' });
    expect(takeTurn(me, [at('arn:c', '2026-11-22T10:00:01Z')], 0, 48).proceed).toBe(true);
  });

  it('breaks a tie of start times by ARN, so exactly one of two simultaneous approvals goes', () => {
    const other = at('arn:a', '2026-11-22T10:00:00Z');
    expect(firstInLine(me, [other])).toBe(other);
    expect(firstInLine(other, [me])).toBe(other);
  });

  it('gives up after the configured number of checks', () => {
    expect(takeTurn(me, [at('arn:a', '2026-11-22T09:00:00Z')], 47, 48)).toMatchObject({ proceed: false, attempt: 48, exhausted: true });
  });
});
