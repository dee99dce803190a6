import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bestEffort, eventBridgePublisher, factEntry, MAX_ENTRY_BYTES } from '../../lambdas/shared/event-publisher';
import { factSchema, type LifecycleContext } from '../../lambdas/shared/lifecycle';
import { memoryLogger } from '../../lambdas/shared/logger';
import { putEventsEntryBytes } from '../../offline/limits';

const bus = mockClient(EventBridgeClient);
afterEach(() => bus.reset());
afterAll(() => bus.restore());

const ctx: LifecycleContext = {
  project: 'mlops',
  stage: 'dev',
  pipeline: 'churn',
  region: 'eu-west-1',
  modelPackageGroup: 'mlops-dev-churn',
  eventBus: 'mlops-dev-lifecycle',
};
const executionArn = 'arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-churn-training:run-1';
const refused = { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] };

describe('lifecycle event publisher', () => {
  it('sends an entry EventBridge refused again, after 100 ms, and returns its id', async () => {
    bus
      .on(PutEventsCommand)
      .resolvesOnce(refused)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    const pauses: number[] = [];
    const publish = eventBridgePublisher(new EventBridgeClient({}), ctx, async (ms) => void pauses.push(ms));
    expect(await publish({ kind: 'retraining-skipped', trigger: 'schedule', reason: 'no dataset' })).toBe('e-2');
    expect(pauses).toEqual([100]);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('gives up after three refusals with a typed error naming the refusal', async () => {
    bus.on(PutEventsCommand).resolves(refused);
    const pauses: number[] = [];
    const publish = eventBridgePublisher(new EventBridgeClient({}), ctx, async (ms) => void pauses.push(ms));
    await expect(publish({ kind: 'retraining-skipped', trigger: 'schedule', reason: 'no dataset' })).rejects.toMatchObject({
      name: 'EventDeliveryError',
      message: 'EventBridge refused the Retraining Skipped event 3 times: InternalFailure try again',
    });
    expect(pauses).toEqual([100, 200]);
  });

  it('lets the work of a function go on when its fact cannot be sent, and logs it', async () => {
    const log = memoryLogger();
    const announce = bestEffort(async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }, log);
    expect(await announce({ kind: 'deployment-started', executionArn, modelPackageArn: 'arn:p', endpointName: 'e', mode: 'create' })).toBe('');
    expect(log.entries).toEqual([
      { level: 'ERROR', message: 'lifecycle event not sent', data: { kind: 'deployment-started', error: 'ThrottlingException: Rate exceeded' } },
    ]);
  });

  it('cuts a detail too large for one entry (10 000 rejection reasons of 1 KB) to fit, still valid, and says so', () => {
    const reasons = Array.from({ length: 10_000 }, (_, i) => `file ${i}: ${'x'.repeat(1000)}`);
    const entry = factEntry({ kind: 'data-rejected', executionArn, reasons, quarantineUri: 's3://landing/quarantine/churn/d/' }, ctx);
    expect(putEventsEntryBytes(entry)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    const detail = JSON.parse(entry.Detail);
    expect(detail.truncated).toBe(true);
    expect(detail.reasons.length).toBeGreaterThan(0);
    expect(detail.reasons.length).toBeLessThan(reasons.length);
    expect(detail.executionArn).toBe(executionArn);
    expect(factSchema.safeParse(detail).success).toBe(true);
  });

  it('leaves a detail that fits as it is', () => {
    const entry = factEntry({ kind: 'data-rejected', executionArn, reasons: ['bad header'], quarantineUri: 's3://q/' }, ctx);
    expect(JSON.parse(entry.Detail)).not.toHaveProperty('truncated');
    expect(JSON.parse(entry.Detail).reasons).toEqual(['bad header']);
  });
});
