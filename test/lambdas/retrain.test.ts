import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { eventBridgePublisher, lifecycleContextFromEnv } from '../../lambdas/shared/event-publisher';
import { emailOf } from '../helpers/lifecycle-loop';
import type { FactInput } from '../../lambdas/shared/lifecycle';
import { createHandler } from '../../lambdas/retrain/handler';
import { decideRetraining, parseLatestDataset, type TrainingRun } from '../../lambdas/retrain/logic';
import { memoryLogger } from '../../lambdas/shared/logger';
import alarm from '../fixtures/events/cloudwatch-alarm-state-change.json';

const HOUR = 3_600_000;
const now = new Date('2026-11-22T12:00:00Z');
const latest = { pipeline: 'breast-cancer', bucket: 'landing', datasetId: '2026-11-20', prefix: 'breast-cancer/2026-11-20/', singleObject: false };
const run = (hoursAgo: number, running = false): TrainingRun => ({
  executionArn: `arn:run-${hoursAgo}`,
  startDate: new Date(now.getTime() - hoursAgo * HOUR),
  running,
});
const decide = (runs: TrainingRun[], reason: 'drift' | 'schedule' = 'drift', noDataset = false) =>
  decideRetraining({ pipeline: 'breast-cancer', reason, now, cooldownMs: 24 * HOUR, runs, latest: noDataset ? undefined : latest });

describe('retraining decision', () => {
  it('drift with no active run and no recent run → starts on the latest dataset, with the reason', () => {
    expect(decide([run(48)])).toEqual({
      action: 'start',
      executionName: `breast-cancer-retrain-${Math.floor(now.getTime() / (24 * HOUR))}`,
      input: { ...latest, reason: 'drift' },
    });
  });

  it('drift during the cooldown → no start, and says until when', () => {
    expect(decide([run(3)])).toEqual({
      action: 'skip',
      reason: 'cooldown: the last run started at 2026-11-22T09:00:00.000Z; the next automatic run may start after 2026-11-23T09:00:00.000Z',
      notify: false,
    });
  });

  it('schedule while a run is active → skip (single flight)', () => {
    expect(decide([run(30, true)], 'schedule')).toMatchObject({ action: 'skip', reason: 'a training run of breast-cancer is active (arn:run-30)' });
  });

  it('missing latest dataset → no start, and the team is told', () => {
    expect(decide([], 'schedule', true)).toEqual({
      action: 'skip',
      reason: 'no accepted dataset of breast-cancer is recorded yet: drop one under breast-cancer/ first',
      notify: true,
    });
  });

  it('reads the recorded dataset, and treats "none" or garbage as missing', () => {
    expect(parseLatestDataset(JSON.stringify(latest))).toEqual(latest);
    expect(parseLatestDataset('none')).toBeUndefined();
    expect(parseLatestDataset('{"pipeline":1}')).toBeUndefined();
    expect(parseLatestDataset('{')).toBeUndefined();
  });
});

const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const bus = mockClient(EventBridgeClient);
const cw = mockClient(CloudWatchClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  sfn.restore();
  ssm.restore();
  bus.restore();
  cw.restore();
});
const env = {
  PIPELINE_NAME: 'breast-cancer',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:mlops-dev-breast-cancer-training',
  LATEST_DATASET_PARAMETER: '/mlops/dev/breast-cancer/latest-dataset',
  COOLDOWN_HOURS: '24',
  DRIFT_ALARM_ARN: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:mlops-dev-breast-cancer-drift',
  EVENT_BUS_NAME: 'mlops-dev-lifecycle',
  PROJECT: 'mlops',
  STAGE: 'dev',
  MODEL_PACKAGE_GROUP: 'mlops-dev-breast-cancer',
  AWS_REGION: 'eu-west-1',
};
const log = memoryLogger();
const deps = {
  sfn: new SFNClient({}),
  ssm: new SSMClient({}),
  cloudWatch: new CloudWatchClient({}),
  announce: (f: FactInput) => eventBridgePublisher(new EventBridgeClient({}), lifecycleContextFromEnv(env))(f),
  log,
};
const handler = createHandler({ ...deps, now: () => now }, env);

/** Step Functions' StartExecution semantics: same name + same input → the same execution; same name + other input → ExecutionAlreadyExists. */
function idempotentStarts() {
  const started = new Map<string, string>();
  sfn.on(StartExecutionCommand).callsFake(async (input) => {
    const prior = started.get(input.name);
    if (prior !== undefined && prior !== input.input) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    started.set(input.name, input.input);
    return { executionArn: `${env.STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: now };
  });
  return started;
}

beforeEach(() => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: env.LATEST_DATASET_PARAMETER, Value: JSON.stringify(latest) } });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});
afterEach(() => {
  sfn.reset();
  ssm.reset();
  bus.reset();
  cw.reset();
});

describe('drift that lasts keeps asking (#19 item 5)', () => {
  const recheck = { kind: 'drift-recheck', pipeline: 'breast-cancer' };
  const driftAlarmIs = (StateValue: 'ALARM' | 'OK', since = new Date(now.getTime() - 5 * HOUR)) =>
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'mlops-dev-breast-cancer-drift', AlarmArn: env.DRIFT_ALARM_ARN, StateValue, StateUpdatedTimestamp: since }],
    });

  it('the hourly recheck retrains when drift has not been answered yet, reading the alarm by name and matching its ARN', async () => {
    const started = idempotentStarts();
    driftAlarmIs('ALARM');
    expect(await handler(recheck)).toMatchObject({ action: 'started', reason: 'drift' });
    expect(started.size).toBe(1);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({ AlarmNames: ['mlops-dev-breast-cancer-drift'], AlarmTypes: ['MetricAlarm'] });
  });

  it('does nothing once the alarm is OK, or once a run started after the alarm (the same data would train the same model)', async () => {
    const started = idempotentStarts();
    driftAlarmIs('OK');
    expect(await handler(recheck)).toEqual({ action: 'ignored', reason: 'drift alarm is OK: nothing to reconsider' });
    driftAlarmIs('ALARM');
    sfn.on(ListExecutionsCommand, { maxResults: 1 }).resolves({
      executions: [
        { executionArn: 'arn:r', stateMachineArn: env.STATE_MACHINE_ARN, name: 'r', status: 'SUCCEEDED', startDate: new Date(now.getTime() - 2 * HOUR) },
      ],
    });
    expect(await handler(recheck)).toMatchObject({
      action: 'skipped',
      reason: expect.stringMatching(/^the drift alarm has been in ALARM since .* and run arn:r started after that/),
    });
    expect(started.size).toBe(0);
  });

  it('never e-mails from a recheck (it asks every hour), even with no dataset recorded', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: env.LATEST_DATASET_PARAMETER, Value: 'none' } });
    driftAlarmIs('ALARM');
    expect(await handler(recheck)).toMatchObject({ action: 'skipped' });
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('drift whose alarm came while a run was active is retrained once the cooldown allows, once in three cooldown periods; a storm at that moment adds none', async () => {
    const T0 = Date.parse('2026-12-01T00:30:00Z');
    const starts: Date[] = [new Date(T0 - HOUR)]; // a data-drop run, active when the alarm fires
    let clock = new Date(T0);
    sfn.on(StartExecutionCommand).callsFake(async (input) => {
      if (starts.some((d) => d.getTime() === clock.getTime())) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
      starts.push(clock);
      return { executionArn: `${env.STATE_MACHINE_ARN}:${input.name}`, startDate: clock };
    });
    // Runs take 2 hours.
    const listed = (running: boolean) =>
      starts
        .filter((d) => clock.getTime() - d.getTime() < 2 * HOUR === running || !running)
        .map((d, i) => ({
          executionArn: `arn:x${i}`,
          stateMachineArn: env.STATE_MACHINE_ARN,
          name: `x${i}`,
          status: clock.getTime() - d.getTime() < 2 * HOUR ? ('RUNNING' as const) : ('SUCCEEDED' as const),
          startDate: d,
        }));
    sfn.on(ListExecutionsCommand, { statusFilter: 'RUNNING' }).callsFake(async () => ({ executions: listed(true).filter((x) => x.status === 'RUNNING') }));
    sfn.on(ListExecutionsCommand, { maxResults: 1 }).callsFake(async () => ({ executions: listed(false).slice(-1) }));
    driftAlarmIs('ALARM', new Date(T0));
    const h = createHandler({ ...deps, now: () => clock }, env);
    expect(await h(alarm)).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/is active/) });
    for (let hour = 1; hour <= 3 * 24; hour++) {
      clock = new Date(T0 + hour * HOUR);
      // The cooldown from the active run's start ends at hour 23: a storm then, before the recheck.
      if (hour === 23) await Promise.all(Array.from({ length: 20 }, (_, i) => h({ ...alarm, id: `storm-${i}` })));
      await h(recheck);
    }
    expect(starts.slice(1).map((d) => d.toISOString())).toEqual(['2026-12-01T23:30:00.000Z']);
  });
});

describe('retrain handler', () => {
  it('starts one run on the drift alarm (the fixture), from the recorded dataset', async () => {
    const started = idempotentStarts();
    expect(await handler(alarm)).toMatchObject({ action: 'started', reason: 'drift' });
    expect([...started.values()].map((i) => JSON.parse(i))).toEqual([{ ...latest, reason: 'drift' }]);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: env.LATEST_DATASET_PARAMETER });
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'mlops-dev-lifecycle', Source: 'mlops.mlops', DetailType: 'Retraining Started' });
    expect(JSON.parse(entry!.Detail!)).toMatchObject({
      kind: 'retraining-started',
      trigger: 'drift',
      executionArn: expect.stringMatching(/^arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-breast-cancer-training:/),
      datasetUri: `s3://${latest.bucket}/${latest.prefix}`,
      pipeline: 'breast-cancer',
      schemaVersion: '1',
    });
  });

  it('reports the run it started even when EventBridge refuses the Retraining Started event: the run goes on, the refusal is logged', async () => {
    const started = idempotentStarts();
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    expect(await handler(alarm)).toMatchObject({ action: 'started', reason: 'drift' });
    expect(started.size).toBe(1);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(log.entries.some((e) => e.level === 'ERROR' && e.message === 'lifecycle event not sent' && e.data?.kind === 'retraining-started')).toBe(true);
  });

  it('sees a running training run on any page of running executions, not only among the newest 20 (#12 review)', async () => {
    const started = idempotentStarts();
    const run = (n: number, status: 'RUNNING' | 'SUCCEEDED') => ({
      executionArn: `arn:x${n}`,
      stateMachineArn: env.STATE_MACHINE_ARN,
      name: `x${n}`,
      status,
      startDate: new Date(now.getTime() - 30 * 24 * HOUR - n),
    });
    sfn
      .on(ListExecutionsCommand, { statusFilter: 'RUNNING' })
      .resolvesOnce({ executions: [], nextToken: 'page-2' })
      .resolvesOnce({ executions: [run(1, 'RUNNING')] });
    sfn.on(ListExecutionsCommand, { maxResults: 1 }).resolves({ executions: [run(0, 'SUCCEEDED')] });
    expect(await handler(alarm)).toMatchObject({ action: 'skipped' });
    expect(started.size).toBe(0);
  });

  it('starts at most one run for an alarm storm of 50 events', async () => {
    const started = idempotentStarts();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => handler({ ...alarm, id: `event-${i}` })));
    expect(started.size).toBe(1);
    expect(outcomes.every((o) => o.action === 'started')).toBe(true);
  });

  it('skips a drift and a schedule in the same cooldown window once a run exists, with a log line saying why', async () => {
    idempotentStarts();
    await handler(alarm);
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: 'arn:x', stateMachineArn: env.STATE_MACHINE_ARN, name: 'x', status: 'SUCCEEDED', startDate: new Date(now.getTime() - HOUR) },
      ],
    });
    sfn.on(ListExecutionsCommand, { statusFilter: 'RUNNING' }).resolves({ executions: [] });
    expect(await handler({ kind: 'scheduled-retraining', pipeline: 'breast-cancer' })).toMatchObject({
      action: 'skipped',
      reason: expect.stringMatching(/^cooldown: /),
    });
    expect(log.entries.some((e) => e.message === 'retraining skipped' && String(e.data?.reason).startsWith('cooldown'))).toBe(true);
  });

  it('tells the team when no dataset is recorded, and starts nothing', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: env.LATEST_DATASET_PARAMETER, Value: 'none' } });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await handler({ kind: 'scheduled-retraining', pipeline: 'breast-cancer' })).toMatchObject({ action: 'skipped' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect((await emailOf(bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!, env)).subject).toBe(
      '[mlops-dev] breast-cancer: scheduled retraining, but no run started',
    );
  });

  it('ignores the alarm going back to OK, and another alarm', async () => {
    expect(await handler({ ...alarm, detail: { ...alarm.detail, state: { ...alarm.detail.state, value: 'OK' } } })).toMatchObject({ action: 'ignored' });
    expect(
      await handler({ ...alarm, detail: { ...alarm.detail, alarmName: 'other' }, resources: ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:other'] }),
    ).toMatchObject({
      action: 'ignored',
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it("ignores an alarm of the same name in another account or region: it checks the alarm's full ARN", async () => {
    const elsewhere = { ...alarm, resources: ['arn:aws:cloudwatch:us-east-1:444455556666:alarm:mlops-dev-breast-cancer-drift'] };
    expect(await handler(elsewhere)).toMatchObject({ action: 'ignored', reason: expect.stringContaining("is not this pipeline's drift alarm") });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('throws on anything else, naming the problem (Lambda retries, then the DLQ keeps it)', async () => {
    await expect(handler({ kind: 'scheduled-retraining' })).rejects.toThrow(/not a drift alarm change or a retraining schedule/);
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(alarm)).rejects.toThrow('Rate exceeded');
  });
});
