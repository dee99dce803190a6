import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Errors SageMaker raises for throttling and transient faults (optimized and SDK integrations). */
export const SAGEMAKER_TRANSIENT_ERRORS = [
  'SageMaker.AmazonSageMakerException',
  'SageMaker.SageMakerException',
  'SageMaker.ThrottlingException',
  'ThrottlingException',
  'SageMaker.InternalFailure',
  'SageMaker.ServiceUnavailable',
];
/** Errors that prove a call was refused before it did anything: a create call may be sent again under the same name. */
export const SAGEMAKER_THROTTLING_ERRORS = ['SageMaker.ThrottlingException', 'ThrottlingException'];
/** A quota wait: another job may free capacity; a quota of 0 will not, and is caught after. */
export const SAGEMAKER_QUOTA_ERRORS = ['SageMaker.ResourceLimitExceededException', 'SageMaker.ResourceLimitExceeded'];

/**
 * Application Auto Scaling's own throttling and transient errors, as Step Functions names AWS SDK
 * integration errors (`<Service>.<Exception>`; the exception names are the API reference's: a
 * ConcurrentUpdateException while another scaling change is pending, InternalServiceException).
 */
export const AUTOSCALING_TRANSIENT_ERRORS = [
  'ApplicationAutoScaling.ConcurrentUpdateException',
  'ApplicationAutoScaling.InternalServiceException',
  'ApplicationAutoScaling.ThrottlingException',
  'ApplicationAutoScaling.ApplicationAutoScalingException',
  'ThrottlingException',
];

/**
 * SageMaker API calls that can be refused for a quota (their API reference lists
 * ResourceLimitExceeded): creating and updating resources. Reads, tags and deletes cannot.
 */
export const raisesQuota = (action: string): boolean => /^(create[A-Z]\w*|updateEndpoint)$/.test(action);

/** Transient-error retries, and quota waits for a call that can hit a quota. */
export function addSageMakerRetries<T extends { addRetry(p: sfn.RetryProps): unknown }>(state: T, quota = true): T {
  state.addRetry({
    errors: SAGEMAKER_TRANSIENT_ERRORS,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxAttempts: 5,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (quota) state.addRetry({ errors: SAGEMAKER_QUOTA_ERRORS, interval: Duration.minutes(5), backoffRate: 1.5, maxAttempts: 3 });
  return state;
}

/**
 * Every Lambda task's one retrier: CDK's default service errors (2 s, ×2, 6 attempts) and
 * throttling by the account's or the function's concurrency (Lambda.TooManyRequestsException,
 * which CDK's default leaves out).
 */
const LAMBDA_TRANSIENT_RETRY: sfn.RetryProps = {
  errors: [
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
};

/** A Lambda task of the platform's workflows: CDK's own retrier off, LAMBDA_TRANSIENT_RETRY in its place (one retrier, not two). */
export function invokeLambda(scope: Construct, id: string, props: tasks.LambdaInvokeProps): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, { ...props, retryOnServiceExceptions: false });
  task.addRetry(LAMBDA_TRANSIENT_RETRY);
  return task;
}
