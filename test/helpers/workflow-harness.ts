import { ExecutionError } from 'aws-local-stepfunctions';
import type { Template } from 'aws-cdk-lib/assertions';
import { datasetForKey } from '../../lambdas/dataset-trigger/logic';
import { busLoop } from './lifecycle-loop';
import type { FormattedMessage } from '../../lambdas/notify/logic';
import { createHandler as gateHandler } from '../../lambdas/quality-gate/handler';
import type { ChampionSource } from '../../lambdas/quality-gate/logic';
import { parseS3Uri } from '../../lambdas/shared/object-store';
import { executionName } from '../../lambdas/shared/run';
import { createHandler as validateHandler } from '../../lambdas/validate-dataset/handler';
import { functionEnv } from '../../offline/cfn';
import { offlineMachine } from '../../offline/iam/tasks';
import { MemoryObjectStore } from '../../offline/memory-store';
import { operationFor, validateAwsRequest, validateSageMakerRequest } from '../../offline/api-models';
import { type JobKind, SageMakerJobs } from '../../offline/sagemaker-jobs';
import { localStateMachine } from '../../offline/state-machines';

type Json = Record<string, any>;
/** The SHA-256 the stand-in evaluation reports for every model (ml/evaluate.py computes the real one). */
export const MODEL_SHA256 = 'a'.repeat(64);

export type SageMakerState = 'Preprocess' | 'Train' | 'Evaluate' | 'RegisterModel' | 'RecordLatestDataset';

/** A failure a SageMaker stand-in raises, `times` times (default: every time). */
export interface InjectedFailure {
  readonly error: string;
  readonly cause: string;
  readonly times?: number;
  /**
   * For a job: the create call made the job before the error came back (a lost answer), and the
   * job then ends Completed (its outputs written), Failed (the cause as its FailureReason), or
   * Completed after one InProgress answer. @default - the job was not made
   */
  readonly made?: 'Completed' | 'Failed' | 'InProgress';
}

export interface Scenario {
  /** Landing-bucket objects (key → CSV text) present when the run starts. */
  readonly files: Record<string, string>;
  /** The key whose event started the run. @default - the first file */
  readonly triggerKey?: string;
  /** Override the execution input (bad-input paths). */
  readonly input?: unknown;
  /** What the evaluation job reports. @default - { auc: 0.97, accuracy: 0.95 } */
  readonly metrics?: Record<string, number>;
  readonly failures?: Partial<Record<SageMakerState, InjectedFailure>>;
  readonly champion?: { readonly value?: number };
  /** Before the n-th look at the drop (1 = the first): landing-bucket objects to add then (an upload still going on). */
  readonly duringSettle?: Record<number, Record<string, string>>;
}

export interface RunOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** State names in the order their tasks ran (each retry counts). */
  readonly tasks: string[];
  readonly sageMakerRequests: { state: string; operation: string; params: Json }[];
  readonly notifications: FormattedMessage[];
  /** The lifecycle events the run announced (e-mailed ones and the rest), in order. */
  readonly events: Json[];
  readonly store: MemoryObjectStore;
  /** SSM parameters the run wrote (name → value). */
  readonly parameters: Map<string, string>;
  /** Every request the run made, as authorized against the synthesized policies (none denied, or the harness throws). */
  readonly authorized: { principal: string; action: string; resource: string }[];
}

const LANDING_ENV = 'LANDING_BUCKET';

/**
 * Runs the synthesized training workflow in aws-local-stepfunctions. Lambda tasks run the real
 * handlers (configured with the template's environment variables) over an in-memory S3;
 * SageMaker tasks validate their request against the official API model, then answer as
 * SageMaker's Describe* would for a completed job.
 */
export async function runTrainingWorkflow(template: Template, scenario: Scenario): Promise<RunOutcome> {
  const offline = offlineMachine(template, 'TrainingWorkflow');
  const definition = offline.definition;
  const store = new MemoryObjectStore();
  const triggerEnv = functionEnv(template, 'dataset-trigger');
  const landing = triggerEnv[LANDING_ENV]!;
  for (const [key, text] of Object.entries(scenario.files)) store.put(landing, key, text);

  const tasks: string[] = [];
  const sageMakerRequests: RunOutcome['sageMakerRequests'] = [];
  const notifications: FormattedMessage[] = [];
  const failuresLeft = new Map(Object.entries(scenario.failures ?? {}).map(([k, f]) => [k, f.times ?? Number.POSITIVE_INFINITY]));
  const packages: Json[] = [];

  const champions: ChampionSource = {
    latestApproved: async () =>
      scenario.champion ? { modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/champion/1', ...scenario.champion } : undefined,
  };
  const publish = async (_topic: string, m: FormattedMessage) => {
    notifications.push(m);
    return `msg-${notifications.length}`;
  };
  const bus = busLoop(functionEnv(template, 'notify'), publish);
  const validateEnv = functionEnv(template, 'validate-dataset');
  const validate = validateHandler(offline.storeOf('validate-dataset', store), bus.announceAs(validateEnv), validateEnv);
  const gate = gateHandler(offline.storeOf('quality-gate', store), champions, functionEnv(template, 'quality-gate'));
  const notify = bus.notify;

  const jobs = new SageMakerJobs();
  const jobKind = (p: Json): JobKind | undefined => (p.TrainingJobName ? 'TrainingJob' : p.ProcessingJobName ? 'ProcessingJob' : undefined);
  const sageMaker = (state: SageMakerState, answer: (params: Json) => Json) => async (params: any) => {
    tasks.push(state);
    const operation = operationFor(definition.States[state].Resource);
    validateSageMakerRequest(operation, params);
    sageMakerRequests.push({ state, operation, params });
    const kind = jobKind(params);
    if (kind) jobs.claim(kind, params[`${kind}Name`]);
    const left = failuresLeft.get(state) ?? 0;
    if (left > 0) {
      failuresLeft.set(state, left - 1);
      const f = scenario.failures![state]!;
      if (kind && f.made === 'Failed') jobs.record(kind, { [`${kind}Name`]: params[`${kind}Name`], [`${kind}Status`]: 'Failed', FailureReason: f.cause });
      else if (kind && f.made) jobs.record(kind, answer(params), f.made === 'InProgress' ? 1 : 0);
      throw Object.assign(new Error(f.cause), { name: f.error });
    }
    const done = answer(params);
    if (kind) jobs.record(kind, done);
    return done;
  };
  const describeJob = (state: string) => async (params: any) => {
    tasks.push(state);
    const operation = operationFor(definition.States[state].Resource);
    validateSageMakerRequest(operation, params);
    return jobs.describe(params.TrainingJobName ? 'TrainingJob' : 'ProcessingJob', params.TrainingJobName ?? params.ProcessingJobName);
  };
  const lambda = (state: string, fn: (input: unknown) => Promise<unknown>) => async (input: any) => {
    tasks.push(state);
    return fn(input) as Promise<any>;
  };

  const parameters = new Map<string, string>();
  const handlers: Record<string, (input: any) => Promise<any>> = {
    RecordLatestDataset: async (p) => {
      tasks.push('RecordLatestDataset');
      validateAwsRequest('ssm', 'PutParameter', p);
      if (scenario.failures?.RecordLatestDataset)
        throw Object.assign(new Error(scenario.failures.RecordLatestDataset.cause), { name: scenario.failures.RecordLatestDataset.error });
      parameters.set(p.Name, p.Value);
      return { Version: parameters.size, Tier: 'Standard' };
    },
    SurveyDrop: lambda('SurveyDrop', async (input) => {
      const n = tasks.filter((t) => t === 'SurveyDrop').length;
      for (const [key, text] of Object.entries(scenario.duringSettle?.[n] ?? {})) store.put(landing, key, text);
      return validate(input);
    }),
    ValidateDataset: lambda('ValidateDataset', validate),
    QualityGate: lambda('QualityGate', gate),
    NotifyRunFailed: lambda('NotifyRunFailed', notify),
    NotifyDatasetRejected: lambda('NotifyDatasetRejected', notify),
    NotifyGateFailed: lambda('NotifyGateFailed', notify),
    NotifyModelRegistered: lambda('NotifyModelRegistered', notify),
    Preprocess: sageMaker('Preprocess', (p) => {
      for (const out of p.ProcessingOutputConfig.Outputs) {
        const { bucket, key } = parseS3Uri(out.S3Output.S3Uri);
        store.put(bucket, `${key}${out.OutputName}.csv`, '1,0.5,0.2\n');
      }
      return {
        ProcessingJobName: p.ProcessingJobName,
        ProcessingJobArn: `arn:aws:sagemaker:eu-west-1:111122223333:processing-job/${p.ProcessingJobName}`,
        ProcessingJobStatus: 'Completed',
      };
    }),
    Train: sageMaker('Train', (p) => ({
      TrainingJobName: p.TrainingJobName,
      TrainingJobArn: `arn:aws:sagemaker:eu-west-1:111122223333:training-job/${p.TrainingJobName}`,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: `${p.OutputDataConfig.S3OutputPath}${p.TrainingJobName}/output/model.tar.gz` },
    })),
    Evaluate: sageMaker('Evaluate', (p) => {
      const { bucket, key } = parseS3Uri(p.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri);
      store.put(
        bucket,
        `${key}evaluation.json`,
        JSON.stringify({ metrics: scenario.metrics ?? { auc: 0.97, accuracy: 0.95 }, model: { sha256: MODEL_SHA256 } }),
      );
      return {
        ProcessingJobName: p.ProcessingJobName,
        ProcessingJobArn: `arn:aws:sagemaker:eu-west-1:111122223333:processing-job/${p.ProcessingJobName}`,
        ProcessingJobStatus: 'Completed',
      };
    }),
    PreprocessDescribe: describeJob('PreprocessDescribe'),
    TrainDescribe: describeJob('TrainDescribe'),
    EvaluateDescribe: describeJob('EvaluateDescribe'),
    RegisterModel: sageMaker('RegisterModel', (p) => {
      packages.push(p);
      return { ModelPackageArn: `arn:aws:sagemaker:eu-west-1:111122223333:model-package/${p.ModelPackageGroupName}/${packages.length}` };
    }),
  };
  const taskStates = Object.entries(definition.States as Json)
    .filter(([, s]) => s.Type === 'Task')
    .map(([n]) => n);
  const waitStates = Object.entries(definition.States as Json)
    .filter(([, s]) => s.Type === 'Wait')
    .map(([n]) => n);
  const unanswered = taskStates.filter((n) => !handlers[n]);
  if (unanswered.length > 0) throw new Error(`no local handler for task states: ${unanswered.join(', ')}`);

  const decision = datasetForKey(scenario.triggerKey ?? Object.keys(scenario.files)[0]!, triggerEnv.PIPELINE_NAME!, landing);
  const input = scenario.input ?? (decision.kind === 'dataset' ? decision.input : undefined);
  const name = decision.kind === 'dataset' ? executionName(decision.input.pipeline, decision.input.datasetId) : 'bad-input';
  const machine = localStateMachine(definition);
  const execution = machine.run(
    input as any,
    {
      overrides: {
        taskResourceLocalHandlers: offline.authorized(handlers, {
          nextPackage: (group) => `arn:aws:sagemaker:eu-west-1:111122223333:model-package/${group}/${packages.length + 1}`,
        }),
        waitTimeOverrides: Object.fromEntries(waitStates.map((n) => [n, 0])),
        retryIntervalOverrides: Object.fromEntries(taskStates.map((n) => [n, 0])),
      },
      context: {
        Execution: { Id: `arn:aws:states:eu-west-1:111122223333:execution:training:${name}`, Name: name, StartTime: '2026-11-22T10:00:00.000Z', Input: input },
      },
    } as any,
  );
  const seen = () => ({
    tasks,
    sageMakerRequests,
    notifications,
    events: bus.events,
    store,
    parameters,
    authorized: offline.authorizer.decisions.map((d) => d.request),
  });
  try {
    const output = (await execution.result) as Json;
    offline.assertNoDenials();
    return { status: 'SUCCEEDED', output, ...seen() };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    offline.assertNoDenials();
    const caught = e.cause as Error;
    return { status: 'FAILED', error: caught.name, cause: caught.message, ...seen() };
  }
}
