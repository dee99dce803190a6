import type { LifecycleAnnouncer } from './lifecycle-events';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { invokeLambda } from './retries';
import { allowSendTo, deadLetterQueue } from './dead-letter-queue';
import { arnsOf } from './arns';
import { PlatformFunction } from './platform-function';
import { driftCheckJob, type JobContext } from './sagemaker-jobs';
import { platformStateMachine } from './platform-state-machine';
import { allow } from './scoped-policy';
import { SYNC_JOB_EXTRA_SECONDS, syncJob } from './sagemaker-sync-job';
import { captureRoot, metricsNamespace, monitoringRoot } from '../../lambdas/shared/names';
import { driftCheckEnv } from '../../lambdas/drift-check/contract';
import { environmentFor } from './function-environment';

export interface DriftCheckProps {
  readonly jobs: JobContext;
  readonly resourcePrefix: string;
  readonly endpointName: string;
  readonly artifactsBucket: string;
  readonly captureBucket: string;
  readonly notifyFunction: lambda.IFunction;
  /** The check announces drift it detects. */
  readonly announcer: LifecycleAnnouncer;
  readonly sageMakerRole: iam.IRole;
  readonly key: kms.IKey;
  readonly logRetentionDays: number;
}

/**
 * The scheduled drift check: a small workflow (prepare → ml/drift.py in a processing job →
 * publish MLOps/DriftedFeatures) started by EventBridge Scheduler. It skips cheaply while there
 * is no endpoint or no traffic. The drift alarm watches the metric it publishes.
 */
export class DriftCheck extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly function: PlatformFunction;
  public readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: DriftCheckProps) {
    super(scope, id);
    const p = props.jobs.pipeline;
    const m = p.monitoring;
    const prefix = props.resourcePrefix;
    this.function = new PlatformFunction(this, 'Function', {
      handler: 'drift-check',
      resourcePrefix: prefix,
      description: `Drift check of ${props.endpointName}: finds the live model's baseline and captured traffic, publishes the result`,
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: environmentFor(this, driftCheckEnv, {
        ...props.announcer.environment,
        RESOURCE_PREFIX: prefix,
        PIPELINE_NAME: p.name,
        ENDPOINT_NAME: props.endpointName,
        ARTIFACTS_BUCKET: props.artifactsBucket,
        CAPTURE_BUCKET: props.captureBucket,
        CAPTURE_PREFIX: captureRoot(p.name),
        WINDOW_HOURS: String(m.windowHours),
      }),
    });
    this.grantFunction(props);

    const fail = new sfn.Fail(this, 'CheckFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notify = invokeLambda(this, 'NotifyCheckFailed', {
      lambdaFunction: props.notifyFunction,
      payload: sfn.TaskInput.fromObject({
        kind: 'failed',
        workflow: 'drift check',
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    notify.addCatch(fail, { resultPath: '$.notifyError' }).next(fail);
    const lambdaTask = (taskId: string, payload: Record<string, unknown>, resultPath: string) => {
      const t = invokeLambda(this, taskId, {
        lambdaFunction: this.function.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
      });
      t.addCatch(notify, { resultPath: '$.error' });
      return t;
    };
    const prepare = lambdaTask(
      'Prepare',
      { action: 'prepare', executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'), startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
      '$.prepared',
    );
    const job = syncJob(this, 'RunDriftCheck', {
      kind: 'processing',
      parameters: driftCheckJob(props.jobs),
      namePath: '$.prepared.jobName',
      resultSelector: { 'jobArn.$': '$.ProcessingJobArn' },
      resultPath: '$.job',
      onError: notify,
      errorPath: '$.error',
    });
    const publish = lambdaTask(
      'PublishDrift',
      {
        action: 'publish',
        outputUri: sfn.JsonPath.stringAt('$.prepared.outputUri'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        modelPackageArn: sfn.JsonPath.stringAt('$.prepared.modelPackageArn'),
      },
      '$.drift',
    );

    const definition = prepare.next(
      new sfn.Choice(this, 'AnythingToCheck?')
        .when(sfn.Condition.booleanEquals('$.prepared.skip', true), new sfn.Succeed(this, 'NothingToCheck'))
        .otherwise(job.next(publish).next(new sfn.Succeed(this, 'Checked'))),
    );
    this.stateMachine = platformStateMachine(this, 'StateMachine', {
      resourcePrefix: prefix,
      workflow: 'drift-check',
      comment: `Drift check of ${props.endpointName}: captured traffic vs the live model's training baseline`,
      definition,
      timeout: Duration.seconds(m.maxRuntimeSeconds + SYNC_JOB_EXTRA_SECONDS + 1800),
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      invokes: [this.function.function, props.notifyFunction],
    });
    this.grantStateMachine(props);
    this.schedule = this.addSchedule(props);
  }

  private grantFunction(props: DriftCheckProps): void {
    const arns = arnsOf(this);
    const prefix = props.resourcePrefix;
    const pipeline = props.jobs.pipeline.name;
    props.announcer.grant(this.function.role);
    allow(
      this.function.role,
      { actions: ['sagemaker:DescribeEndpoint'], resources: [arns.sageMaker('endpoint', props.endpointName)] },
      {
        actions: ['sagemaker:DescribeEndpointConfig'],
        resources: [arns.sageMaker('endpoint-config', `${prefix}--*`)],
        wildcardReason: `Endpoint configs are named per deployment; "${prefix}--*" matches only this pipeline's.`,
      },
      {
        actions: ['sagemaker:DescribeModel'],
        resources: [arns.sageMaker('model', `${prefix}--*`)],
        wildcardReason: `Models are named per deployment; "${prefix}--*" matches only this pipeline's.`,
      },
      {
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [arns.sageMaker('model-package', `${prefix}/*`)],
        wildcardReason: "Versions of this pipeline's model package group are numbered by SageMaker.",
      },
      // The baseline may be missing: S3 says so (404) only to a caller that may list the bucket.
      { actions: ['s3:ListBucket'], resources: [arns.bucket(props.artifactsBucket)], conditions: { StringLike: { 's3:prefix': [`${pipeline}/*`] } } },
      // Capture is listed with ListObjectVersions, which S3 authorizes as s3:ListBucketVersions.
      {
        actions: ['s3:ListBucketVersions'],
        resources: [arns.bucket(props.captureBucket)],
        conditions: { StringLike: { 's3:prefix': [`${captureRoot(pipeline)}/*`] } },
      },
      {
        actions: ['s3:GetObject'],
        resources: [arns.objects(props.artifactsBucket, `${pipeline}/*`)],
        wildcardReason: 'Reads baselines and drift reports of runs and checks whose ids are made at run time, under the pipeline prefix.',
      },
      {
        actions: ['s3:PutObject'],
        resources: [arns.objects(props.artifactsBucket, `${monitoringRoot(pipeline)}/*`)],
        wildcardReason: 'Writes the capture manifest of checks whose ids are made at run time.',
      },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] },
      {
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': metricsNamespace(props.resourcePrefix) } },
        wildcardReason:
          "PutMetricData writes metrics, which are no resource (its only resource type, optional, is a CloudWatch dataset); the namespace condition limits it to this pipeline's own metrics.",
      },
    );
  }

  /** The workflow may run only this pipeline's processing jobs, with only this pipeline's role. */
  private grantStateMachine(props: DriftCheckProps): void {
    const role = this.stateMachine.role;
    const arns = arnsOf(this);
    const jobs = `${props.resourcePrefix}--*`;
    allow(
      role,
      {
        actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags'],
        resources: [arns.sageMaker('processing-job', jobs)],
        wildcardReason: `Job names are made per check; "${jobs}" matches only this pipeline's jobs.`,
      },
      {
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [arns.eventsRule('StepFunctionsGetEventsForSageMakerProcessingJobsRule')],
      },
      {
        actions: ['iam:PassRole'],
        resources: [props.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
      { actions: ['kms:CreateGrant'], resources: [props.key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
      { actions: ['kms:DescribeKey'], resources: [props.key.keyArn] },
    );
  }

  private addSchedule(props: DriftCheckProps): scheduler.CfnSchedule {
    const dlq = deadLetterQueue(this, 'ScheduleDeadLetterQueue', {
      name: `${props.resourcePrefix}-drift-check-dlq`,
      key: props.key,
      of: 'the drift-check schedule',
    });
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': arnsOf(this).account } } }),
      description: `EventBridge Scheduler: drift check of ${props.endpointName}`,
    });
    allow(role, { actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] });
    allowSendTo(role, dlq, props.key);
    return new scheduler.CfnSchedule(this, 'Schedule', {
      name: `${props.resourcePrefix}-drift-check`,
      description: `Drift check of ${props.endpointName} (skips cheaply while there is no endpoint or no traffic)`,
      scheduleExpression: props.jobs.pipeline.monitoring.schedule,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: props.jobs.pipeline.monitoring.enabled ? 'ENABLED' : 'DISABLED',
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: role.roleArn,
        input: '{}',
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: dlq.queueArn },
      },
    });
  }
}
