import type { LifecycleAnnouncer } from './lifecycle-events';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { NetworkSettings } from '../config/organization';
import type { PipelineConfig, StageConfig } from '../config/schema';
import { evaluationRule } from '../config/schema';
import { arnsOf } from './arns';
import { evaluationJob, preprocessingJob, trainingJob, type JobContext } from './sagemaker-jobs';
import { platformStateMachine } from './platform-state-machine';
import { SYNC_JOB_EXTRA_SECONDS, syncJob } from './sagemaker-sync-job';
import { addSageMakerRetries, invokeLambda } from './retries';
import { trainingFunctions, VALIDATION_TIMEOUT } from './training-functions';
import { acknowledgeWildcardResource, allow } from './scoped-policy';
import { MAX_SURVEYS } from '../../lambdas/validate-dataset/survey-state';

export interface TrainingWorkflowProps {
  readonly pipeline: PipelineConfig;
  readonly stage: StageConfig;
  /** The stage's VPC mode: the jobs' subnets and security groups. */
  readonly network?: NetworkSettings;
  readonly resourcePrefix: string;
  readonly modelPackageGroupName: string;
  readonly key: kms.IKey;
  readonly sageMakerRole: iam.IRole;
  readonly codeUri: string;
  readonly codeVersion: string;
  readonly sklearnImage: string;
  /** Built-in XGBoost 1.7-1 image: the evaluation step runs `ml/evaluate.py` in it. */
  readonly xgboostImage: string;
  readonly trainingImage: string;
  /** The landing bucket (datasets) and the artifacts bucket (runs), by name. */
  readonly landingBucket: string;
  readonly artifactsBucket: string;
  readonly notifyFunction: lambda.IFunction;
  /** Validation announces an accepted dataset. */
  readonly announcer: LifecycleAnnouncer;
  readonly tags: readonly { Key: string; Value: string }[];
  /** SSM parameter that holds the latest accepted dataset (JSON workflow input, without the reason): retraining starts from it. */
  readonly latestDatasetParameter: string;
}

/**
 * The data-triggered training workflow: settle → validate → preprocess → train → evaluate →
 * gate → register → notify. Every SageMaker step retries transient errors with backoff and
 * catches the rest into a notification and a failed execution with the cause.
 */
export class TrainingWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Dataset validation and the quality gate, the workflow's own functions. */
  public readonly validateFunction: lambda.IFunction;
  public readonly gateFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    const p = props.pipeline;
    const fns = trainingFunctions(this, {
      pipeline: p,
      resourcePrefix: props.resourcePrefix,
      landingBucket: props.landingBucket,
      artifactsBucket: props.artifactsBucket,
      key: props.key,
      logRetentionDays: props.stage.logRetentionDays,
      announcer: props.announcer,
    });
    this.validateFunction = fns.validate.function;
    this.gateFunction = fns.gate.function;
    const ctx: JobContext = {
      pipeline: p,
      roleArn: props.sageMakerRole.roleArn,
      keyArn: props.key.keyArn,
      codeUri: props.codeUri,
      sklearnImage: props.sklearnImage,
      xgboostImage: props.xgboostImage,
      trainingImage: props.trainingImage,
      tags: props.tags,
      network: props.network,
    };
    const execution = sfn.JsonPath.stringAt('$$.Execution.Id');

    const runFailed = new sfn.Fail(this, 'RunFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notifyRunFailed = this.notify(
      'NotifyRunFailed',
      {
        kind: 'failed',
        executionArn: execution,
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      },
      props.notifyFunction,
    );
    notifyRunFailed.addCatch(runFailed, { resultPath: '$.notifyError' }).next(runFailed);
    const onError = <T extends { addCatch(h: sfn.IChainable, p?: sfn.CatchProps): unknown }>(state: T): T => {
      state.addCatch(notifyRunFailed, { resultPath: '$.error' });
      return state;
    };

    // The drop is complete (quiet for settleSeconds, or its marker is there) before it is listed: a loop of Wait states, never a sleeping Lambda.
    const task = (action: 'survey' | 'validate') => ({
      action,
      // The execution input as it was: the state gains $.settle on the way.
      input: sfn.JsonPath.stringAt('$$.Execution.Input'),
      executionArn: execution,
      startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
    });
    const startSettle = new sfn.Pass(this, 'StartSettle', { result: sfn.Result.fromObject({}), resultPath: '$.settle' });
    const survey = onError(
      invokeLambda(this, 'SurveyDrop', {
        lambdaFunction: this.validateFunction,
        payload: sfn.TaskInput.fromObject({ ...task('survey'), settle: sfn.JsonPath.objectAt('$.settle') }),
        payloadResponseOnly: true,
        resultPath: '$.settle',
      }),
    );
    const waitForDrop = new sfn.Wait(this, 'WaitForDrop', {
      comment: 'The drop is still changing, or its completion marker is not there yet',
      time: sfn.WaitTime.secondsPath('$.settle.waitSeconds'),
    });
    const incomplete = new sfn.Pass(this, 'DropIncomplete', {
      comment: 'Past dataset.maxWaitMinutes: the survey quarantined the drop with its reason',
      inputPath: '$.settle.rejection',
      resultPath: '$.validation',
    });
    const validate = onError(
      invokeLambda(this, 'ValidateDataset', {
        lambdaFunction: this.validateFunction,
        payload: sfn.TaskInput.fromObject(task('validate')),
        payloadResponseOnly: true,
        resultPath: '$.validation',
      }),
    );

    const rejected = this.notify(
      'NotifyDatasetRejected',
      {
        kind: 'data-rejected',
        executionArn: execution,
        datasetUri: sfn.JsonPath.stringAt('$.validation.datasetUri'),
        reasons: sfn.JsonPath.listAt('$.validation.reasons'),
        quarantineUri: sfn.JsonPath.stringAt('$.validation.quarantineUri'),
      },
      props.notifyFunction,
    );
    rejected.addCatch(runFailed, { resultPath: '$.error' }).next(new sfn.Succeed(this, 'DatasetRejected'));

    // Each job's name is the validation's `jobs.<key>`, and its result goes to `$.<key>`.
    const job = (id: string, key: 'preprocess' | 'training' | 'evaluation', parameters: object, resultSelector: Record<string, string>) =>
      syncJob(this, id, {
        kind: key === 'training' ? 'training' : 'processing',
        parameters,
        namePath: `$.validation.jobs.${key}`,
        resultSelector,
        resultPath: `$.${key}`,
        onError: notifyRunFailed,
        errorPath: '$.error',
      });
    const preprocess = job('Preprocess', 'preprocess', preprocessingJob(ctx), { 'jobArn.$': '$.ProcessingJobArn' });
    const train = job('Train', 'training', trainingJob(ctx), { 'jobArn.$': '$.TrainingJobArn', 'modelArtifacts.$': '$.ModelArtifacts.S3ModelArtifacts' });
    const evaluate = job('Evaluate', 'evaluation', evaluationJob(ctx), { 'jobArn.$': '$.ProcessingJobArn' });
    const gate = onError(
      invokeLambda(this, 'QualityGate', {
        lambdaFunction: this.gateFunction,
        payload: sfn.TaskInput.fromObject({ evaluationReport: sfn.JsonPath.stringAt('$.validation.paths.evaluationReport') }),
        payloadResponseOnly: true,
        resultPath: '$.gate',
      }),
    );

    const datasetUri = sfn.JsonPath.stringAt('$.validation.dataset.uri');
    const gateFailed = this.notify(
      'NotifyGateFailed',
      {
        kind: 'gate-failed',
        executionArn: execution,
        datasetUri,
        metric: sfn.JsonPath.stringAt('$.gate.metric'),
        value: sfn.JsonPath.numberAt('$.gate.value'),
        threshold: sfn.JsonPath.numberAt('$.gate.threshold'),
        reasons: sfn.JsonPath.listAt('$.gate.reasons'),
      },
      props.notifyFunction,
    );
    gateFailed.addCatch(runFailed, { resultPath: '$.error' }).next(new sfn.Succeed(this, 'GateFailed'));

    const approval = props.stage.autoApprove ? 'Approved' : 'PendingManualApproval';
    const register = onError(this.registerModel(props, approval));
    const registered = this.notify(
      'NotifyModelRegistered',
      {
        kind: 'model-registered',
        executionArn: execution,
        datasetUri,
        modelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
        approvalStatus: approval,
        metric: sfn.JsonPath.stringAt('$.gate.metric'),
        value: sfn.JsonPath.numberAt('$.gate.value'),
        reasons: sfn.JsonPath.listAt('$.gate.reasons'),
      },
      props.notifyFunction,
    );
    registered.addCatch(runFailed, { resultPath: '$.error' }).next(new sfn.Succeed(this, 'ModelRegistered'));

    const settled = new sfn.Choice(this, 'DropComplete?')
      .when(sfn.Condition.stringEquals('$.settle.status', 'ready'), validate)
      .when(sfn.Condition.stringEquals('$.settle.status', 'expired'), incomplete.next(rejected))
      .otherwise(waitForDrop.next(survey));
    validate.next(
      new sfn.Choice(this, 'DatasetAccepted?')
        .when(
          sfn.Condition.booleanEquals('$.validation.accepted', true),
          this.recordDataset(
            props.latestDatasetParameter,
            preprocess
              .next(train)
              .next(evaluate)
              .next(gate)
              .next(
                new sfn.Choice(this, 'GatePassed?').when(sfn.Condition.booleanEquals('$.gate.passed', true), register.next(registered)).otherwise(gateFailed),
              ),
          ),
        )
        .otherwise(rejected),
    );
    const definition = startSettle.next(survey).next(settled);

    const t = p.training;
    // Validation (its function's time-out), each job's run time and what its retries and adoption can add.
    const budget =
      VALIDATION_TIMEOUT.toSeconds() +
      3 * SYNC_JOB_EXTRA_SECONDS +
      60 * p.dataset.maxWaitMinutes +
      MAX_SURVEYS * 10 +
      p.preprocessing.maxRuntimeSeconds +
      (t.spot.enabled ? (t.spot.maxWaitSeconds ?? 0) : t.maxRuntimeSeconds) +
      p.evaluation.maxRuntimeSeconds;
    this.stateMachine = platformStateMachine(this, 'StateMachine', {
      resourcePrefix: props.resourcePrefix,
      workflow: 'training',
      comment: `Training workflow of pipeline ${p.name}: data drop to registered model package`,
      definition,
      timeout: Duration.seconds(budget + 3600),
      key: props.key,
      logRetentionDays: props.stage.logRetentionDays,
      invokes: [this.validateFunction, this.gateFunction, props.notifyFunction],
    });
    this.grantSageMakerJobs(props);
  }

  /** Keeps the accepted dataset in SSM for retraining; a failure to record it does not stop the run. */
  private recordDataset(parameterName: string, next: sfn.IChainable): sfn.State {
    const latest = new sfn.Pass(this, 'DatasetAccepted', {
      parameters: {
        'pipeline.$': '$.pipeline',
        'bucket.$': '$.bucket',
        'datasetId.$': '$.datasetId',
        'prefix.$': '$.prefix',
        'singleObject.$': '$.singleObject',
        // Retraining trains on this run's snapshot of the data as accepted, not on the folder as it is later.
        'snapshotRun.$': '$.validation.dataset.snapshotRun',
      },
      resultPath: '$.latest',
    });
    const put = new sfn.CustomState(this, 'RecordLatestDataset', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::aws-sdk:ssm:putParameter`,
        Parameters: { Name: parameterName, 'Value.$': 'States.JsonToString($.latest)', Type: 'String', Overwrite: true },
        ResultPath: null,
      },
    });
    put.addRetry({
      errors: ['Ssm.TooManyUpdatesException', 'Ssm.ThrottlingException', 'ThrottlingException'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const unrecorded = new sfn.Pass(this, 'LatestDatasetNotRecorded', { comment: 'Retraining would start from an older dataset; the run itself goes on' });
    put.addCatch(unrecorded, { resultPath: '$.recordError' });
    unrecorded.next(next);
    latest.next(put).next(next);
    return latest;
  }

  private notify(id: string, payload: Record<string, unknown>, fn: lambda.IFunction): tasks.LambdaInvoke {
    return invokeLambda(this, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  private registerModel(props: TrainingWorkflowProps, approval: string): tasks.CallAwsService {
    const group = props.modelPackageGroupName;
    const { metric } = evaluationRule(props.pipeline);
    const arns = arnsOf(this);
    const task = new tasks.CallAwsService(this, 'RegisterModel', {
      service: 'sagemaker',
      action: 'createModelPackage',
      iamAction: 'sagemaker:CreateModelPackage',
      // sagemaker:CreateModelPackage authorizes on the version it creates (model-package/<group>/<n>); a group ARN matches no resource type of it.
      iamResources: [arns.sageMaker('model-package', `${group}/*`)],
      parameters: {
        ModelPackageGroupName: group,
        ModelPackageDescription: sfn.JsonPath.format(
          'Trained by {} on {}',
          sfn.JsonPath.stringAt('$.validation.jobs.training'),
          sfn.JsonPath.stringAt('$.validation.dataset.uriForMetadata'),
        ),
        ModelApprovalStatus: approval,
        ClientToken: sfn.JsonPath.stringAt('$.validation.runId'),
        InferenceSpecification: {
          Containers: [{ Image: props.trainingImage, ModelDataUrl: sfn.JsonPath.stringAt('$.training.modelArtifacts') }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
        ModelMetrics: {
          ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: sfn.JsonPath.stringAt('$.validation.paths.evaluationReport') } },
        },
        MetadataProperties: { GeneratedBy: sfn.JsonPath.stringAt('$$.Execution.Id') },
        CustomerMetadataProperties: {
          [`metric:${metric}`]: sfn.JsonPath.stringAt('$.gate.valueText'),
          dataset: sfn.JsonPath.stringAt('$.validation.dataset.uriForMetadata'),
          'dataset-sha256': sfn.JsonPath.stringAt('$.validation.dataset.sha256'),
          'dataset-snapshot': sfn.JsonPath.stringAt('$.validation.dataset.snapshotUri'),
          lineage: sfn.JsonPath.stringAt('$.validation.paths.lineage'),
          execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
          'training-job': sfn.JsonPath.stringAt('$.validation.jobs.training'),
          'code-version': props.codeVersion,
          'model-sha256': sfn.JsonPath.stringAt('$.gate.modelSha256'),
        },
        Tags: props.tags,
      },
      additionalIamStatements: [],
      resultSelector: { modelPackageArn: sfn.JsonPath.stringAt('$.ModelPackageArn') },
      resultPath: '$.registration',
    });
    return addSageMakerRetries(task);
  }

  /** The state machine may run only this pipeline's jobs, with only this pipeline's role. */
  private grantSageMakerJobs(props: TrainingWorkflowProps): void {
    const role = this.stateMachine.role;
    const arns = arnsOf(this);
    const jobs = `${props.resourcePrefix}--*`;
    const group = props.modelPackageGroupName;
    acknowledgeWildcardResource(
      role,
      arns.sageMaker('model-package', `${group}/*`),
      "RegisterModel creates versions that SageMaker numbers inside this pipeline's model package group.",
    );
    allow(
      role,
      {
        actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'],
        resources: [arns.sageMaker('processing-job', jobs)],
        wildcardReason: `Job names are made per run; "${jobs}" matches only this pipeline's jobs ("--" never occurs in a pipeline name).`,
      },
      {
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
        resources: [arns.sageMaker('training-job', jobs)],
        wildcardReason: `Job names are made per run; "${jobs}" matches only this pipeline's jobs ("--" never occurs in a pipeline name).`,
      },
      {
        actions: ['sagemaker:AddTags'],
        resources: [arns.sageMaker('processing-job', jobs), arns.sageMaker('training-job', jobs), arns.sageMaker('model-package', `${group}/*`)],
        wildcardReason: "Tags are set at creation on this pipeline's jobs and model package versions, whose names are made per run.",
      },
      {
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          arns.eventsRule('StepFunctionsGetEventsForSageMakerProcessingJobsRule'),
          arns.eventsRule('StepFunctionsGetEventsForSageMakerTrainingJobsRule'),
        ],
      },
      {
        actions: ['iam:PassRole'],
        resources: [props.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
      {
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
      { actions: ['kms:DescribeKey'], resources: [props.key.keyArn] },
      { actions: ['ssm:PutParameter'], resources: [arnsOf(this).ssmParameter(props.latestDatasetParameter)] },
    );
  }
}

/** Transient errors: short backoff with jitter; quota waits: long intervals, few attempts. */
