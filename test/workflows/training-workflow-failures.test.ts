import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { breastCancerCsv } from '../helpers/fixtures';
import { stateMachines } from '../../offline/cfn';
import { synthPlatform } from '../../offline/synth';
import { runTrainingWorkflow, type Scenario } from '../helpers/workflow-harness';
import { ADOPTED_JOB_POLL_SECONDS, JOB_CREATE_ATTEMPTS } from '../../lib/constructs/sagemaker-sync-job';

/**
 * Failure, retry and bad-input paths of the synthesized training workflow: every SageMaker
 * step retries what is transient, catches the rest into one failure e-mail, and the execution
 * fails with the original error and cause.
 */

let template: Template;
let definition: Record<string, any>;
beforeAll(() => {
  const s = synthPlatform();
  template = s.template(s.stages.get('dev')!.pipelines[0]!);
  definition = stateMachines(template)[0]!.definition;
});
const files = () => ({ 'breast-cancer/2026-11-22/data.csv': breastCancerCsv() });
const run = (extra: Omit<Scenario, 'files'>) => runTrainingWorkflow(template, { files: files(), ...extra });
const count = (tasks: string[], state: string) => tasks.filter((t) => t === state).length;
const maxAttempts = (state: string, error: string) => definition.States[state].Retry.find((r: any) => r.ErrorEquals.includes(error)).MaxAttempts as number;

describe('a training job that fails', () => {
  // What Step Functions reports when a `.sync` job ends Failed: States.TaskFailed with the job description.
  const cause = JSON.stringify({
    TrainingJobName: 'mlops-dev-breast-cancer--0123456789ab-train',
    TrainingJobStatus: 'Failed',
    FailureReason: 'AlgorithmError: label column has values outside [0, 1]',
  });

  it('is not retried; the run fails with the job failure reason, e-mailed once', async () => {
    const r = await run({ failures: { Train: { error: 'States.TaskFailed', cause } } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.TaskFailed');
    expect(r.cause).toBe(cause);
    expect(count(r.tasks, 'Train')).toBe(1);
    expect(r.tasks.slice(-1)).toEqual(['NotifyRunFailed']);
    expect(r.tasks).not.toContain('Evaluate');
    expect(r.notifications).toHaveLength(1);
    expect(r.notifications[0]!.subject).toBe('[mlops-dev] breast-cancer: training run failed (States.TaskFailed)');
    expect(r.notifications[0]!.body).toContain('Cause: mlops-dev-breast-cancer--0123456789ab-train: AlgorithmError: label column has values outside [0, 1]');
  });
});

describe('transient SageMaker errors', () => {
  it.each([
    ['Preprocess', 'SageMaker.AmazonSageMakerException'],
    ['Train', 'ThrottlingException'],
    ['Evaluate', 'SageMaker.InternalFailure'],
    ['RegisterModel', 'SageMaker.ThrottlingException'],
  ] as const)('%s retries %s and the run goes on', async (state, error) => {
    const r = await run({ failures: { [state]: { error, cause: 'Rate exceeded', times: 2 } } });
    expect(r.status).toBe('SUCCEEDED');
    expect(count(r.tasks, state)).toBe(3);
    expect(r.tasks.at(-1)).toBe('NotifyModelRegistered');
  });

  it('gives up after a bounded number of attempts and reports the last error', async () => {
    const r = await run({ failures: { Preprocess: { error: 'SageMaker.AmazonSageMakerException', cause: 'Rate exceeded' } } });
    expect(r.status).toBe('FAILED');
    expect(count(r.tasks, 'Preprocess')).toBe(1 + JOB_CREATE_ATTEMPTS);
    expect(r.error).toBe('SageMaker.AmazonSageMakerException');
    expect(r.notifications).toHaveLength(1);
  });

  it('re-registering after a retry reuses the client token, so at most one package is created', async () => {
    const r = await run({ failures: { RegisterModel: { error: 'SageMaker.InternalFailure', cause: 'We encountered an internal error', times: 1 } } });
    const tokens = r.sageMakerRequests.filter((q) => q.state === 'RegisterModel').map((q) => q.params.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });
});

describe('a create call that fails: classified, never re-sending a job name SageMaker already holds (#12 item 5)', () => {
  const lost = (made: 'Completed' | 'Failed' | 'InProgress', cause = SERVER_ERROR) => ({ error: 'SageMaker.AmazonSageMakerException', cause, times: 1, made });
  const SERVER_ERROR = 'We encountered an internal error. Please try again. (Service: AmazonSageMaker; Status Code: 500; Error Code: InternalFailure)';

  it.each(['Preprocess', 'Train', 'Evaluate'] as const)(
    '%s: an answer lost after the job was made is not sent again; the job is found, waited for and its result used',
    async (state) => {
      const r = await run({ failures: { [state]: lost('Completed') } });
      expect(r.status).toBe('SUCCEEDED');
      expect(count(r.tasks, state)).toBe(1);
      expect(count(r.tasks, `${state}Describe`)).toBe(1);
      expect(r.tasks.at(-1)).toBe('NotifyModelRegistered');
    },
  );

  it('the adopted training job gives the registered model its artifacts, as `.sync` would have', async () => {
    const r = await run({ failures: { Train: lost('InProgress') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(count(r.tasks, 'TrainDescribe')).toBe(2);
    const train = r.sageMakerRequests.find((q) => q.state === 'Train')!.params;
    const registered = r.sageMakerRequests.find((q) => q.state === 'RegisterModel')!.params;
    expect(registered.InferenceSpecification.Containers[0].ModelDataUrl).toBe(
      `${train.OutputDataConfig.S3OutputPath}${train.TrainingJobName}/output/model.tar.gz`,
    );
  });

  it('a made job that then fails ends the run with its description, once, without a second create call', async () => {
    const r = await run({ failures: { Train: lost('Failed', 'AlgorithmError: label column has values outside [0, 1]') } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.TaskFailed');
    expect(JSON.parse(r.cause!)).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: label column has values outside [0, 1]' });
    expect(count(r.tasks, 'Train')).toBe(1);
    expect(r.notifications).toHaveLength(1);
    expect(r.notifications[0]!.body).toContain('AlgorithmError: label column has values outside [0, 1]');
  });

  it('a request SageMaker refuses (ValidationException) fails at once: no second attempt', async () => {
    const cause =
      "1 validation error detected: Value 'ml.m5.larg' at 'resourceConfig.instanceType' failed to satisfy constraint (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)";
    const r = await run({ failures: { Train: { error: 'SageMaker.AmazonSageMakerException', cause } } });
    expect(r.status).toBe('FAILED');
    expect(r.cause).toBe(cause);
    expect(count(r.tasks, 'Train')).toBe(1);
    expect(r.notifications).toHaveLength(1);
  });

  it.each([
    ['a 5xx', SERVER_ERROR],
    ['throttling', 'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException)'],
  ])('%s before the job was made: sent again under the same name, which SageMaker does not hold', async (_, cause) => {
    for (const [state, nameKey] of [
      ['Train', 'TrainingJobName'],
      ['Preprocess', 'ProcessingJobName'],
    ] as const) {
      const r = await run({ failures: { [state]: { error: 'SageMaker.AmazonSageMakerException', cause, times: 2 } } });
      expect(r.status, state).toBe('SUCCEEDED');
      const names = r.sageMakerRequests.filter((q) => q.state === state).map((q) => q.params[nameKey]);
      expect(names, state).toHaveLength(3);
      expect(new Set(names).size, state).toBe(1);
    }
  });

  it('waits longer before each new attempt, and polls a found job every few minutes', () => {
    const backoff = definition.States.TrainBackoff.Parameters['wait.$'] as string;
    const waits = /States\.Array\(([^)]*)\)/.exec(backoff)![1]!.split(',').map(Number);
    expect(waits).toHaveLength(JOB_CREATE_ATTEMPTS);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(definition.States.TrainWaitForJob.Seconds).toBe(ADOPTED_JOB_POLL_SECONDS);
    expect(ADOPTED_JOB_POLL_SECONDS).toBeGreaterThanOrEqual(60);
  });
});

describe('a quota of zero for the training instance type', () => {
  it('waits a few times, then fails with a hint to request a quota increase', async () => {
    const cause =
      "The account-level service limit 'ml.m5.xlarge for training job usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances.";
    const r = await run({ failures: { Train: { error: 'SageMaker.ResourceLimitExceededException', cause } } });
    expect(r.status).toBe('FAILED');
    expect(count(r.tasks, 'Train')).toBe(1 + maxAttempts('Train', 'SageMaker.ResourceLimitExceededException'));
    expect(r.notifications[0]!.body).toContain(cause);
    expect(r.notifications[0]!.body).toMatch(/Service Quotas > Amazon SageMaker/);
  });

  it('waits minutes between quota attempts, seconds between throttling attempts', () => {
    const retries = definition.States.Train.Retry as any[];
    const quota = retries.find((x) => x.ErrorEquals.includes('SageMaker.ResourceLimitExceededException'));
    const throttle = retries.find((x) => x.ErrorEquals.includes('ThrottlingException'));
    expect(quota.IntervalSeconds).toBeGreaterThanOrEqual(60);
    expect(throttle.IntervalSeconds).toBeLessThan(60);
    expect(throttle.BackoffRate).toBeGreaterThan(1);
    expect(throttle.MaxDelaySeconds).toBeDefined();
  });
});

describe('bad execution input (someone started the workflow by hand)', () => {
  const good = {
    pipeline: 'breast-cancer',
    bucket: 'mlops-dev-landing-111122223333-eu-west-1',
    datasetId: 'x',
    prefix: 'breast-cancer/x/',
    singleObject: false,
    reason: 'manual',
  };
  it.each([
    ['an empty object', {}, /input\.pipeline: .*input\.bucket: /],
    ['a wrong pipeline', { ...good, pipeline: 'other', prefix: 'other/x/' }, /input\.pipeline: expected "breast-cancer", got "other"/],
    [
      'another bucket',
      { ...good, bucket: 'someone-elses-bucket' },
      /input\.bucket: expected the landing bucket "mlops-dev-landing-111122223333-eu-west-1", got "someone-elses-bucket"/,
    ],
    ['a prefix outside the pipeline', { ...good, prefix: 'elsewhere/x/' }, /input\.prefix: expected "breast-cancer\/x\/" for dataset "x"/],
    ['a dataset id with a slash', { ...good, datasetId: 'x/../y', prefix: 'breast-cancer/x/../y/' }, /input\.datasetId: expected one path segment/],
  ])('%s fails fast with InvalidInputError naming the field, before any SageMaker call', async (_, input, cause) => {
    const r = await run({ input });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('InvalidInputError');
    expect(r.cause).toMatch(cause);
    expect(r.sageMakerRequests).toEqual([]);
    expect(r.tasks).toEqual(['SurveyDrop', 'NotifyRunFailed']);
    expect(r.notifications[0]!.body).toContain('Contract: a step received input it does not understand');
  });
});

describe('an evaluation report without the configured metric', () => {
  it('fails the run at the gate with EvaluationReportError, registering nothing', async () => {
    const r = await run({ metrics: { accuracy: 0.95 } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('EvaluationReportError');
    expect(r.cause).toContain('auc');
    expect(r.tasks).not.toContain('RegisterModel');
  });
});
