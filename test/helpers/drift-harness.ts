import { ExecutionError } from 'aws-local-stepfunctions';
import type { Template } from 'aws-cdk-lib/assertions';
import { hourPrefixes } from '../../lambdas/shared/capture-layout';
import { createHandler as driftHandler } from '../../lambdas/drift-check/handler';
import type { LiveModelReader } from '../../lambdas/drift-check/logic';
import { busLoop } from './lifecycle-loop';
import type { FormattedMessage } from '../../lambdas/notify/logic';
import { memoryLogger } from '../../lambdas/shared/logger';
import { LocalSageMaker } from '../../offline/local-sagemaker';
import { offlineMachine } from '../../offline/iam/tasks';
import { MemoryObjectStore } from '../../offline/memory-store';
import { validateSageMakerRequest } from '../../offline/api-models';
import { functionEnv } from '../../offline/cfn';
import { localStateMachine } from '../../offline/state-machines';

type Json = Record<string, any>;
export const RUN = 'a1b2c3d4e5f6';

export interface DriftScenario {
  /** The live model, or why there is none. @default - a model from package version 7 */
  readonly live?: { modelName: string } | { none: string };
  /** The training baseline (CSV with header), stored under the live run's baseline prefix. */
  readonly baselineCsv?: string;
  /**
   * Capture JSONL files of the production variant: hours before now → text. (aws-local-stepfunctions
   * sets $$.Execution.StartTime to the real time, so capture is laid out relative to now.)
   */
  readonly capture?: Record<number, string>;
  /** pipeline.json as the stack ships it. */
  readonly spec: unknown;
  /** The job's create call makes the job, then its answer is lost (a 500): the workflow must find the job, not make another. */
  readonly lostAnswer?: boolean;
}

export interface DriftOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  readonly tasks: string[];
  readonly jobRequest?: Json;
  readonly metrics: number[];
  readonly notifications: FormattedMessage[];
  /** The lifecycle events the check announced. */
  readonly events: Json[];
}

/**
 * Runs the synthesized drift-check workflow in aws-local-stepfunctions with the real drift-check
 * and notify Lambdas over an in-memory S3. The processing job request is validated against the
 * SageMaker API model, then run for real by the simulator's SageMaker stand-in: its inputs are
 * copied out of the in-memory S3 the way SageMaker would (an S3 prefix; a manifest's listed
 * objects), ml/drift.py runs with Debian's python3, and its output is put back where the job's
 * output config says.
 */
export async function runDriftCheck(template: Template, scenario: DriftScenario): Promise<DriftOutcome> {
  const offline = offlineMachine(template, 'DriftCheckStateMachine');
  const { definition } = offline;
  const env = functionEnv(template, 'drift-check');
  const store = new MemoryObjectStore();
  const runBase = `${env.PIPELINE_NAME}/runs/${RUN}`;
  if (scenario.baselineCsv) store.put(env.ARTIFACTS_BUCKET!, `${runBase}/data/baseline/baseline.csv`, scenario.baselineCsv);
  for (const [hoursAgo, text] of Object.entries(scenario.capture ?? {})) {
    const hour = hourPrefixes(new Date(Date.now() - Number(hoursAgo) * 3_600_000), new Date(Date.now() - Number(hoursAgo) * 3_600_000))[0];
    store.put(env.CAPTURE_BUCKET!, `${env.CAPTURE_PREFIX}/${env.ENDPOINT_NAME}/primary/${hour}capture-1.jsonl`, text);
  }

  const pkg = `arn:aws:sagemaker:eu-west-1:111122223333:model-package/${env.RESOURCE_PREFIX}/7`;
  // The drift Lambda's SageMaker reads: validated against the API model, then authorized as its role.
  const read = async (operation: string, params: Json) => {
    validateSageMakerRequest(operation, params);
    await offline.asFunction('drift-check', 'sagemaker', operation, params);
  };
  const reader: LiveModelReader = {
    liveModel: async (endpoint) => {
      await read('DescribeEndpoint', { EndpointName: endpoint });
      return scenario.live ?? { modelName: `${env.RESOURCE_PREFIX}--m7-0123abcd` };
    },
    modelPackageOf: async (modelName) => {
      await read('DescribeModel', { ModelName: modelName });
      return pkg;
    },
    lineageOf: async (arn) => {
      await read('DescribeModelPackage', { ModelPackageName: arn });
      return `s3://${env.ARTIFACTS_BUCKET}/${runBase}/input/lineage.json`;
    },
  };
  const metrics: number[] = [];
  const notifications: FormattedMessage[] = [];
  const tasks: string[] = [];
  let jobRequest: Json | undefined;
  const bus = busLoop(functionEnv(template, 'notify'), async (_t, m) => {
    notifications.push(m);
    return 'id';
  });
  const drift = driftHandler(
    {
      sageMaker: reader,
      store: offline.storeOf('drift-check', store),
      publish: async (_p, v) => void metrics.push(v),
      announce: bus.announceAs(env),
      log: memoryLogger(),
    },
    env,
  );
  const notify = bus.notify;

  const sageMaker = new LocalSageMaker(store, scenario.spec, async () => {}, offline.asRole);

  const handlers: Record<string, (input: any) => Promise<any>> = {
    Prepare: async (i) => {
      tasks.push('Prepare');
      return drift(i);
    },
    PublishDrift: async (i) => {
      tasks.push('PublishDrift');
      return drift(i);
    },
    NotifyCheckFailed: async (i) => {
      tasks.push('NotifyCheckFailed');
      return notify(i);
    },
    RunDriftCheck: async (p) => {
      tasks.push('RunDriftCheck');
      validateSageMakerRequest('CreateProcessingJob', p);
      jobRequest = p;
      const done = await sageMaker.processing(p);
      if (scenario.lostAnswer && tasks.filter((t) => t === 'RunDriftCheck').length === 1)
        throw Object.assign(
          new Error('We encountered an internal error. Please try again. (Service: AmazonSageMaker; Status Code: 500; Error Code: InternalFailure)'),
          {
            name: 'SageMaker.AmazonSageMakerException',
          },
        );
      return done;
    },
    RunDriftCheckDescribe: async (p) => {
      tasks.push('RunDriftCheckDescribe');
      validateSageMakerRequest('DescribeProcessingJob', p);
      return sageMaker.sdk('describeProcessingJob', p);
    },
  };
  const states = Object.entries(definition.States as Record<string, Json>);
  const machine = localStateMachine(definition);
  const execution = machine.run({}, {
    overrides: {
      taskResourceLocalHandlers: offline.authorized(handlers),
      waitTimeOverrides: Object.fromEntries(states.filter(([, st]) => st.Type === 'Wait').map(([n]) => [n, 0])),
      retryIntervalOverrides: Object.fromEntries(states.filter(([, st]) => st.Type === 'Task').map(([n]) => [n, 0])),
    },
    context: { Execution: { Id: `arn:aws:states:eu-west-1:111122223333:execution:${env.RESOURCE_PREFIX}-drift-check:sched-1`, Name: 'sched-1', Input: {} } },
  } as any);
  try {
    const output = (await execution.result) as Json;
    offline.assertNoDenials();
    return { status: 'SUCCEEDED', output, tasks, jobRequest, metrics, notifications, events: bus.events };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    offline.assertNoDenials();
    const c = e.cause as Error;
    return { status: 'FAILED', error: c.name, cause: c.message, tasks, jobRequest, metrics, notifications, events: bus.events };
  }
}
