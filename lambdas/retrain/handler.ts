import { traced } from '../shared/tracing';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListExecutionsCommand, paginateListExecutions, SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { bestEffort, envAnnouncer, type FactPublisher } from '../shared/event-publisher';
import { envReader } from '../shared/env';
import { retrainEnv } from './contract';
import { parseInput } from '../shared/errors';
import { createLogger, type Logger, logInvocation } from '../shared/logger';
import { startOnce } from '../shared/sfn';
import { decideRetraining, parseLatestDataset, type RetrainReason, type TrainingRun } from './logic';
import { DRIFT_RECHECK, retrainEventSchema } from './schema';
import type { Context } from 'aws-lambda';

export interface RetrainDeps {
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly cloudWatch: CloudWatchClient;
  readonly announce: FactPublisher;
  readonly log: Logger;
  readonly now?: () => Date;
}

export type RetrainOutcome =
  | { action: 'started' | 'already-started'; executionName: string; reason: RetrainReason }
  | { action: 'skipped' | 'ignored'; reason: string };

/**
 * Drift alarm (ALARM) or schedule → at most one retraining run of the pipeline, from the latest
 * accepted dataset. Runs with a reserved concurrency of 1, so decisions never overlap.
 */
const readEnv = envReader(retrainEnv);

export function createHandler(deps: RetrainDeps, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<RetrainOutcome> => {
    logInvocation(deps.log, context);
    const e = parseInput(retrainEventSchema, event, 'not a drift alarm change or a retraining schedule');
    const env_ = readEnv(env);
    const pipeline = env_.PIPELINE_NAME;
    let reason: RetrainReason;
    /** A recheck: when the alarm entered ALARM (a run started since then has answered this drift). */
    let driftSince: Date | undefined;
    if ('kind' in e && e.kind === DRIFT_RECHECK) {
      // Drift that lasts raises no new alarm event: while the alarm stays in ALARM, ask again.
      const alarm = await driftAlarmState(deps.cloudWatch, env_.DRIFT_ALARM_ARN);
      if (alarm.state !== 'ALARM') return { action: 'ignored', reason: `drift alarm is ${alarm.state}: nothing to reconsider` };
      reason = 'drift';
      // Unknown (CloudWatch always says): any run counts as the answer, never a run every cooldown.
      driftSince = alarm.since ?? new Date(0);
    } else if ('kind' in e) {
      reason = 'schedule';
    } else {
      if (!e.resources.includes(env_.DRIFT_ALARM_ARN))
        return { action: 'ignored', reason: `alarm ${e.resources.join(', ')} is not this pipeline's drift alarm ${env_.DRIFT_ALARM_ARN}` };
      if (e.detail.state.value !== 'ALARM') return { action: 'ignored', reason: `drift alarm went to ${e.detail.state.value}` };
      reason = 'drift';
    }
    const stateMachineArn = env_.STATE_MACHINE_ARN;
    // Every running execution (all pages), and the newest of all for the cooldown.
    const runs: TrainingRun[] = [];
    for await (const page of paginateListExecutions({ client: deps.sfn, pageSize: 100 }, { stateMachineArn, statusFilter: 'RUNNING' }))
      for (const x of page.executions ?? []) runs.push({ executionArn: x.executionArn!, startDate: new Date(x.startDate!), running: true });
    const newest = (await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }))).executions ?? [];
    for (const x of newest) runs.push({ executionArn: x.executionArn!, startDate: new Date(x.startDate!), running: x.status === 'RUNNING' });
    // One retraining per drift episode: the same data again would train the same model. A recheck acts only if
    // the alarm's own trigger was skipped (cooldown, a run active); a new dataset starts its own run anyway.
    const answered = driftSince && runs.find((r) => r.startDate.getTime() >= driftSince!.getTime());
    if (answered) {
      const why = `the drift alarm has been in ALARM since ${driftSince!.toISOString()} and run ${answered.executionArn} started after that: drop a new dataset to retrain again`;
      deps.log.info('retraining skipped', { reason: why, trigger: 'drift-recheck' });
      return { action: 'skipped', reason: why };
    }
    let latestValue: string | undefined;
    try {
      latestValue = (await deps.ssm.send(new GetParameterCommand({ Name: env_.LATEST_DATASET_PARAMETER }))).Parameter?.Value;
    } catch (err) {
      if ((err as Error).name !== 'ParameterNotFound') throw err;
    }
    const decision = decideRetraining({
      pipeline,
      reason,
      now: (deps.now ?? (() => new Date()))(),
      cooldownMs: env_.COOLDOWN_HOURS * 3_600_000,
      runs,
      latest: parseLatestDataset(latestValue),
    });
    if (decision.action === 'skip') {
      deps.log.info('retraining skipped', { reason: decision.reason, trigger: reason });
      // A recheck asks every hour: it never e-mails (the alarm's own trigger did, once).
      if (decision.notify && !driftSince) {
        await deps.announce({ kind: 'retraining-skipped', trigger: reason, reason: decision.reason });
      }
      return { action: 'skipped', reason: decision.reason };
    }
    const { status, executionArn } = await startOnce(deps.sfn, stateMachineArn, decision.executionName, decision.input);
    if (status === 'exists') {
      deps.log.info('retraining of this cooldown window already started', { executionName: decision.executionName, trigger: reason });
      return { action: 'already-started', executionName: decision.executionName, reason };
    }
    deps.log.info('retraining started', { executionName: decision.executionName, trigger: reason, datasetId: decision.input.datasetId });
    // Best effort: a retry of this invocation finds the run started and would not announce it again.
    await bestEffort(
      deps.announce,
      deps.log,
    )({
      kind: 'retraining-started',
      trigger: reason,
      executionArn,
      datasetUri: `s3://${decision.input.bucket}/${decision.input.prefix}`,
    });
    return { action: 'started', executionName: decision.executionName, reason };
  };
}

/** The alarm's state (`arn:…:alarm:<name>`) and since when, or "missing" when CloudWatch has no such alarm. */
async function driftAlarmState(cloudWatch: CloudWatchClient, alarmArn: string): Promise<{ state: string; since?: Date }> {
  const name = alarmArn.slice(alarmArn.indexOf(':alarm:') + ':alarm:'.length);
  const out = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
  const alarm = out.MetricAlarms?.find((a) => a.AlarmArn === alarmArn);
  return { state: alarm?.StateValue ?? 'missing', ...(alarm?.StateUpdatedTimestamp ? { since: new Date(alarm.StateUpdatedTimestamp) } : {}) };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (
  c: { sfn: SFNClient; ssm: SSMClient; eventBridge: EventBridgeClient; cloudWatch: CloudWatchClient },
  env: NodeJS.ProcessEnv = process.env,
  now?: () => Date,
) =>
  createHandler(
    {
      sfn: c.sfn,
      ssm: c.ssm,
      cloudWatch: c.cloudWatch,
      announce: envAnnouncer(c.eventBridge, env),
      log: createLogger('retrain'),
      ...(now ? { now } : {}),
    },
    env,
  );

export const handler = handlerWith({
  sfn: traced(new SFNClient({})),
  ssm: traced(new SSMClient({})),
  eventBridge: traced(new EventBridgeClient({})),
  cloudWatch: traced(new CloudWatchClient({})),
});
