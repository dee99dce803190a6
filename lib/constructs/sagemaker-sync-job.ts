import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { SAGEMAKER_QUOTA_ERRORS, SAGEMAKER_THROTTLING_ERRORS } from './retries';

/** How many times a job whose create call failed before SageMaker made it is sent again, and the waits before each. */
export const JOB_CREATE_ATTEMPTS = 5;
const BACKOFF_SECONDS = [15, 60, 120, 240, 300] as const;
/** Seconds between Describe* polls of a job an earlier, seemingly failed, create call started. */
export const ADOPTED_JOB_POLL_SECONDS = 300;
/** The most a job's retries and adoption add to its own run time: every backoff, one poll interval, the Describe retries. */
export const SYNC_JOB_EXTRA_SECONDS = BACKOFF_SECONDS.reduce<number>((a, b) => a + b, 0) + ADOPTED_JOB_POLL_SECONDS + 60;

/**
 * Causes of a failed create call that a later attempt may not meet: throttling, a quota another
 * job may free, and 5xx faults. Step Functions reports them all as one error name
 * (`SageMaker.AmazonSageMakerException`) with the SDK's message in the cause, "… (Service:
 * AmazonSageMaker; Status Code: 500; Error Code: InternalFailure; …)". Anything else (a
 * ValidationException: a bad instance type, missing input data) fails at once.
 */
export const TRANSIENT_CREATE_CAUSES = [
  '*Status Code: 5*',
  '*ThrottlingException*',
  '*Rate exceeded*',
  '*ResourceLimitExceeded*',
  '*InternalFailure*',
  '*ServiceUnavailable*',
] as const;

/**
 * What Describe*Job answers for a job that does not exist: for a training job a ValidationException
 * "Requested resource not found." (the model's ResourceNotFound is not what the service sends:
 * https://github.com/aws/aws-sdk/issues/165); for a processing job "Could not find processing job
 * '<arn>'." as emulators reproduce it (not documented by AWS). Any of these means "never made".
 */
const NOT_FOUND_CAUSES = ['*Requested resource not found*', '*ResourceNotFound*', '*Could not find*', '*does not exist*'] as const;

export interface SyncJobProps {
  readonly kind: 'training' | 'processing';
  /** The Create*Job request, in the API's shape, with its name at `namePath`. */
  readonly parameters: object;
  readonly namePath: string;
  /** Applied to the job's description: `.sync` answers with it, and so does Describe*Job. */
  readonly resultSelector: Record<string, string>;
  readonly resultPath: string;
  /** Where failures go, with the error at `errorPath` ({Error, Cause}). */
  readonly onError: sfn.IChainable;
  readonly errorPath: string;
}

/**
 * An optimized `.sync` SageMaker job whose retries never re-send a job name SageMaker already
 * holds. Only errors that prove the job was not made (throttling, quota) are retried in place.
 * Any other error is checked with Describe*Job under the same name: a job that exists (an answer
 * lost after the create call) is waited for and its result used; a job that was never made is
 * created again only if the cause was transient, at most JOB_CREATE_ATTEMPTS times; anything else
 * fails with the original error. A job that ran and failed fails with its description as cause,
 * as `.sync` reports it (States.TaskFailed), and is never re-run under the same name.
 */
export function syncJob(scope: Construct, id: string, props: SyncJobProps): sfn.Chain {
  const partition = Stack.of(scope).partition;
  const api = props.kind === 'training' ? 'TrainingJob' : 'ProcessingJob';
  const status = `$.jobCheck.${api}Status`;

  const attempts = new sfn.Pass(scope, `${id}Attempts`, { result: sfn.Result.fromObject({ count: 0, wait: 0 }), resultPath: '$.jobAttempt' });
  const job = new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${partition}:states:::sagemaker:create${api}.sync`,
      Parameters: props.parameters,
      ResultSelector: props.resultSelector,
      ResultPath: props.resultPath,
    },
  });
  job.addRetry({
    errors: SAGEMAKER_THROTTLING_ERRORS,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxAttempts: 5,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
  job.addRetry({ errors: SAGEMAKER_QUOTA_ERRORS, interval: Duration.minutes(5), backoffRate: 1.5, maxAttempts: 3 });

  const describe = new sfn.CustomState(scope, `${id}Describe`, {
    stateJson: {
      Type: 'Task',
      Comment: 'Did the failed create call make the job after all?',
      Resource: `arn:${partition}:states:::aws-sdk:sagemaker:describe${api}`,
      Parameters: { [`${api}Name.$`]: props.namePath },
      ResultPath: '$.jobCheck',
    },
  });
  // A read: safe to repeat on any error. SageMaker's throttling and 5xx reach an SDK integration as its
  // generic exception, like "not found" does, which so takes these few attempts (≈ 35 s) before it is classified.
  describe.addRetry({
    errors: [...SAGEMAKER_THROTTLING_ERRORS, 'SageMaker.SageMakerException', 'SageMaker.AmazonSageMakerException'],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 3,
    jitterStrategy: sfn.JitterType.FULL,
  });

  const again = new sfn.Pass(scope, `${id}Backoff`, {
    parameters: {
      'count.$': 'States.MathAdd($.jobAttempt.count, 1)',
      'wait.$': `States.ArrayGetItem(States.Array(${BACKOFF_SECONDS.join(', ')}), $.jobAttempt.count)`,
    },
    resultPath: '$.jobAttempt',
  });
  again.next(new sfn.Wait(scope, `${id}BackoffWait`, { time: sfn.WaitTime.secondsPath('$.jobAttempt.wait') })).next(job);
  const retry = new sfn.Choice(scope, `${id}Transient?`)
    .when(
      sfn.Condition.and(
        sfn.Condition.numberLessThan('$.jobAttempt.count', JOB_CREATE_ATTEMPTS),
        sfn.Condition.or(...TRANSIENT_CREATE_CAUSES.map((c) => sfn.Condition.stringMatches(`${props.errorPath}.Cause`, c))),
      ),
      again,
    )
    .otherwise(props.onError);
  const created = new sfn.Choice(scope, `${id}Made?`)
    .when(
      sfn.Condition.or(
        ...NOT_FOUND_CAUSES.map((c) => sfn.Condition.stringMatches('$.jobCheckError.Cause', c)),
        sfn.Condition.stringEquals('$.jobCheckError.Error', 'SageMaker.ResourceNotFoundException'),
      ),
      retry,
    )
    .otherwise(props.onError);
  describe.addCatch(created, { errors: ['States.ALL'], resultPath: '$.jobCheckError' });

  const done = new sfn.Pass(scope, `${id}Done`);
  const adopted = new sfn.Pass(scope, `${id}Adopted`, {
    comment: 'An earlier create call made the job: its result, as `.sync` would have given it',
    inputPath: '$.jobCheck',
    parameters: props.resultSelector,
    resultPath: props.resultPath,
  }).next(done);
  const poll = new sfn.Wait(scope, `${id}WaitForJob`, { time: sfn.WaitTime.duration(Duration.seconds(ADOPTED_JOB_POLL_SECONDS)) });
  poll.next(describe);
  describe.next(
    new sfn.Choice(scope, `${id}Status?`)
      .when(sfn.Condition.stringEquals(status, 'Completed'), adopted)
      .when(sfn.Condition.or(sfn.Condition.stringEquals(status, 'InProgress'), sfn.Condition.stringEquals(status, 'Stopping')), poll)
      .otherwise(
        new sfn.Pass(scope, `${id}Failed`, {
          comment: 'The job ran and failed (or was stopped): reported as `.sync` reports a failed job',
          parameters: { Error: 'States.TaskFailed', 'Cause.$': 'States.JsonToString($.jobCheck)' },
          resultPath: props.errorPath,
        }).next(props.onError),
      ),
  );

  // Every error is checked against the job itself: one that ran and failed (`.sync` reports it as
  // States.TaskFailed) is described as Failed and ends the run; a lost answer is found and adopted.
  job.addCatch(describe, { errors: ['States.ALL'], resultPath: props.errorPath });
  job.next(done);
  attempts.next(job);
  return sfn.Chain.custom(attempts, [done], done);
}
