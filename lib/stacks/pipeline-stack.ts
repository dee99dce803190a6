import { Aws, CfnMapping, CfnOutput, CfnRule, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { failureDestination } from '../constructs/dead-letter-queue';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct, IConstruct } from 'constructs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { BUILT_IN_IMAGE_ACCOUNTS, imageUri, SKLEARN_REPOSITORY, SKLEARN_TAG, SUPPORTED_REGIONS, XGBOOST_REPOSITORY, XGBOOST_TAG } from '../config/images';
import { bucketName, eventBusName, keyArnExportName, latestDatasetParameterName, resourcePrefix, topicName } from '../config/naming';
import type { NetworkSettings } from '../config/organization';
import type { PipelineConfig, PlatformConfig, StageConfig } from '../config/schema';
import { arnsOf } from '../constructs/arns';
import { DatasetTrigger } from '../constructs/dataset-trigger';
import { DriftCheck } from '../constructs/drift-check';
import { ModelDeployment } from '../constructs/model-deployment';
import { PipelineAlarms } from '../constructs/pipeline-alarms';
import { PipelineDashboard } from '../constructs/pipeline-dashboard';
import { Retraining } from '../constructs/retraining';
import { codeVersion } from '../constructs/ml-code';
import { PlatformFunction } from '../constructs/platform-function';
import { MlCodeDeployment } from '../constructs/ml-code-deployment';
import { SageMakerExecutionRole, SageMakerModelRole } from '../constructs/sagemaker-execution-role';
import { allow } from '../constructs/scoped-policy';
import { TrainingWorkflow } from '../constructs/training-workflow';
import { notifyEnv } from '../../lambdas/notify/contract';
import { LifecycleAnnouncer } from '../constructs/lifecycle-events';
import { ModelPromotion } from '../constructs/model-promotion';
import { promotionReaders } from '../constructs/promotion-grants';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { environmentFor } from '../constructs/function-environment';

/** What the training part of a pipeline stack is built from (a stage with promoteFrom has none). */
interface TrainingParts {
  readonly config: PlatformConfig;
  readonly stage: StageConfig;
  readonly p: PipelineConfig;
  readonly prefix: string;
  readonly key: kms.IKey;
  readonly sageMakerRole: iam.IRole;
  readonly codeUri: string;
  readonly version: string;
  readonly images: { sklearn: string; xgboost: string; training: string };
  readonly landing: string;
  readonly artifacts: string;
  readonly notify: PlatformFunction;
  readonly announcer: LifecycleAnnouncer;
  readonly tags: { Key: string; Value: string }[];
  readonly deployment: IConstruct;
  readonly network?: NetworkSettings;
}

export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly stage: StageConfig;
  readonly pipeline: PipelineConfig;
  /** The stage's VPC mode, its subnets listed or found in its VPC (`stages[].network`). */
  readonly network?: NetworkSettings;
}

/**
 * One model's lifecycle: the data-drop trigger, the training workflow, its Lambdas, the
 * SageMaker role and the model package group. Names the data stack's resources by convention;
 * imports only the KMS key ARN.
 */
export class PipelineStack extends Stack {
  public readonly modelPackageGroupName: string;
  public readonly deployment: ModelDeployment;
  public readonly alarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, stage, pipeline: p } = props;
    const prefix = resourcePrefix(config.project, stage.name, p.name);
    const arns = arnsOf(this);
    const landing = bucketName(config.project, stage.name, 'landing', this.account, this.region);
    const artifacts = bucketName(config.project, stage.name, 'artifacts', this.account, this.region);
    const capture = bucketName(config.project, stage.name, 'capture', this.account, this.region);
    const key = kms.Key.fromKeyArn(this, 'DataKey', Fn.importValue(keyArnExportName(config.project, stage.name)));
    this.modelPackageGroupName = prefix;

    const images = this.images(p, stage);
    const version = codeVersion(p);
    const codePrefix = `${p.name}/code/${version}/`;
    const deployment = new MlCodeDeployment(this, 'MlCode', {
      pipeline: p,
      resourcePrefix: prefix,
      artifactsBucket: artifacts,
      codePrefix,
      key,
      logRetentionDays: stage.logRetentionDays,
    }).deployment;

    new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: prefix,
      modelPackageGroupDescription: p.description || `Models of pipeline ${p.name}`,
      ...promotionReaders(config, stage, p.name, this),
    });

    const roleProps = {
      pipeline: p.name,
      resourcePrefix: prefix,
      landingBucket: landing,
      artifactsBucket: artifacts,
      captureBucket: capture,
      key,
      imageRepositories: images.repositories,
      network: props.network,
    };
    const sageMakerRole = new SageMakerExecutionRole(this, 'SageMakerExecutionRole', roleProps).role;
    // The served model runs as a role of its own: model artifacts to read, capture to write, nothing a job may write.
    const modelRole = new SageMakerModelRole(this, 'SageMakerModelRole', roleProps).role;

    const common = { resourcePrefix: prefix, logRetentionDays: stage.logRetentionDays, logKey: key };
    const topicArn = arns.topic(topicName(config.project, stage.name));
    const announcer = new LifecycleAnnouncer(this, {
      PROJECT: config.project,
      STAGE: stage.name,
      PIPELINE_NAME: p.name,
      MODEL_PACKAGE_GROUP: prefix,
      EVENT_BUS_NAME: eventBusName(config.project, stage.name),
    });
    const notify = new PlatformFunction(this, 'NotifyFunction', {
      ...common,
      handler: 'notify',
      description: `Announces the lifecycle events of pipeline ${p.name}, and e-mails them`,
      environment: environmentFor(this, notifyEnv, { ...announcer.environment, TOPIC_ARN: topicArn }),
    });
    allow(notify.role, { actions: ['sns:Publish'], resources: [topicArn] }, { actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] });
    announcer.grant(notify.role);

    const tags = [
      { Key: 'mlops:project', Value: config.project },
      { Key: 'mlops:stage', Value: stage.name },
      { Key: 'mlops:pipeline', Value: p.name },
    ];
    // A stage that promotes another's models trains none of its own: no trigger, no training workflow, no retraining.
    const training = stage.promoteFrom
      ? undefined
      : this.training({
          config,
          stage,
          network: props.network,
          p,
          prefix,
          key,
          sageMakerRole,
          codeUri: `s3://${artifacts}/${codePrefix}`,
          version,
          images,
          landing,
          artifacts,
          notify,
          announcer,
          tags,
          deployment,
        });

    this.deployment = new ModelDeployment(this, 'ModelDeployment', {
      pipeline: p,
      resourcePrefix: prefix,
      modelPackageGroupName: prefix,
      key,
      modelRole,
      network: props.network,
      notifyFunction: notify.function,
      announcer,
      captureBucket: capture,
      logRetentionDays: stage.logRetentionDays,
      tags,
    });

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      resourcePrefix: prefix,
      topicArn,
      trainingStateMachine: training,
      deploymentStateMachine: this.deployment.workflow.stateMachine,
      alsoNotify: this.deployment.alarms,
    });
    if (training) {
      new Retraining(this, 'Retraining', {
        pipeline: p.name,
        resourcePrefix: prefix,
        retraining: p.retraining,
        trainingStateMachine: training,
        latestDatasetParameter: latestDatasetParameterName(config.project, stage.name, p.name),
        driftAlarm: this.alarms.drift,
        announcer,
        key,
        logRetentionDays: stage.logRetentionDays,
      });
    } else {
      new ModelPromotion(this, 'Promotion', {
        config,
        stage,
        source: config.stages.find((s) => s.name === stage.promoteFrom)!,
        pipeline: p.name,
        artifactsBucket: artifacts,
        key,
        announcer,
        deadLetterQueue: this.deployment.deadLetterQueue,
        tags,
      });
    }

    const driftCheck = new DriftCheck(this, 'DriftCheck', {
      jobs: {
        pipeline: p,
        roleArn: sageMakerRole.roleArn,
        keyArn: key.keyArn,
        codeUri: `s3://${artifacts}/${codePrefix}`,
        sklearnImage: images.sklearn,
        xgboostImage: images.xgboost,
        trainingImage: images.training,
        tags,
        network: props.network,
      },
      resourcePrefix: prefix,
      endpointName: this.deployment.endpointName,
      artifactsBucket: artifacts,
      captureBucket: capture,
      notifyFunction: notify.function,
      announcer,
      sageMakerRole,
      key,
      logRetentionDays: stage.logRetentionDays,
    });
    driftCheck.stateMachine.node.addDependency(deployment);
    // E-mail is one subscriber of the lifecycle events: failed deliveries join the approval gate's in its dead-letter queue.
    notify.function.configureAsyncInvoke({
      retryAttempts: SECURE_DEFAULTS.lambda.asyncRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: failureDestination(this.deployment.deadLetterQueue, key),
    });
    announcer.emailTo(this, notify.function, this.deployment.deadLetterQueue);
    this.alarms.watchDeadLetterQueues(this);

    new PipelineDashboard(this, 'Dashboard', {
      resourcePrefix: prefix,
      endpointName: this.deployment.endpointName,
      trainingStateMachine: training,
      deploymentStateMachine: this.deployment.workflow.stateMachine,
      alarms: [
        ...(this.alarms.trainingFailed ? [this.alarms.trainingFailed] : []),
        this.alarms.deploymentFailed,
        this.alarms.drift,
        ...this.deployment.alarms,
        ...this.alarms.deadLetters,
      ],
    });

    // Log groups follow retainData, like the buckets (function and workflow logs are evidence of what ran).
    for (const c of this.node.findAll()) {
      if (c instanceof logs.CfnLogGroup) c.applyRemovalPolicy(stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    }
    if (training) new CfnOutput(this, 'StateMachineArn', { value: training.stateMachineArn });
    new CfnOutput(this, 'ModelPackageGroupName', { value: prefix });
    new CfnOutput(this, 'DeploymentStateMachineArn', { value: this.deployment.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EndpointName', { value: this.deployment.endpointName });
    if (training) new CfnOutput(this, 'DropDataAt', { value: `s3://${landing}/${p.name}/<dataset-id>/` });
  }

  /** The data-drop trigger and the training workflow (with the latest-dataset parameter retraining reads). */
  private training(c: TrainingParts): sfn.StateMachine {
    const { config, stage, network, p, prefix, key, sageMakerRole, codeUri, version, images, landing, artifacts, notify, announcer, tags, deployment } = c;
    const latestDataset = new ssm.StringParameter(this, 'LatestDataset', {
      parameterName: latestDatasetParameterName(config.project, stage.name, p.name),
      description: `Latest dataset of ${p.name} that passed validation (written by the training workflow; retraining starts from it)`,
      stringValue: 'none',
    });
    const workflow = new TrainingWorkflow(this, 'TrainingWorkflow', {
      pipeline: p,
      stage,
      network,
      resourcePrefix: prefix,
      modelPackageGroupName: prefix,
      key,
      sageMakerRole,
      codeUri,
      codeVersion: version,
      sklearnImage: images.sklearn,
      xgboostImage: images.xgboost,
      trainingImage: images.training,
      landingBucket: landing,
      artifactsBucket: artifacts,
      notifyFunction: notify.function,
      announcer,
      tags,
      latestDatasetParameter: latestDatasetParameterName(config.project, stage.name, p.name),
    });
    workflow.stateMachine.node.addDependency(deployment, latestDataset);

    new DatasetTrigger(this, 'DatasetTrigger', {
      pipeline: p.name,
      resourcePrefix: prefix,
      landingBucket: landing,
      artifactsBucket: artifacts,
      key,
      announcer,
      stateMachine: workflow.stateMachine,
      ignore: p.dataset.ignore,
      maxObjects: p.dataset.maxObjects,
      logRetentionDays: stage.logRetentionDays,
      logKey: key,
    });
    return workflow.stateMachine;
  }

  /** Image URIs: a per-region mapping of SageMaker's registries; a rule refuses other regions. */
  private images(p: PipelineConfig, stage: StageConfig) {
    const mapping = new CfnMapping(this, 'BuiltInImageAccounts', {
      lazy: true,
      mapping: Object.fromEntries(Object.entries(BUILT_IN_IMAGE_ACCOUNTS).map(([region, account]) => [region, { account }])),
    });
    if (stage.region === undefined) {
      new CfnRule(this, 'SupportedRegion', {
        assertions: [
          {
            assert: Fn.conditionContains([...SUPPORTED_REGIONS], Aws.REGION),
            assertDescription: `The platform needs the SageMaker SKLearn 1.2-1 and XGBoost 1.7-1 images, published in: ${SUPPORTED_REGIONS.join(', ')}`,
          },
        ],
      });
    }
    const account = mapping.findInMap(this.region, 'account');
    const builtIn = (repo: string, tag: string) => imageUri(account, this.region, Aws.URL_SUFFIX, repo, tag);
    const arns = arnsOf(this);
    const repositories = [arns.ecrRepository(account, this.region, SKLEARN_REPOSITORY), arns.ecrRepository(account, this.region, XGBOOST_REPOSITORY)];
    // Evaluation always runs in the XGBoost image: it has xgboost, pandas and scikit-learn; the SKLearn image has no xgboost.
    const images = { sklearn: builtIn(SKLEARN_REPOSITORY, SKLEARN_TAG), xgboost: builtIn(XGBOOST_REPOSITORY, XGBOOST_TAG) };
    if (p.training.image === 'xgboost') return { ...images, training: images.xgboost, repositories };
    const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.[^/]+\/([^:@]+)/.exec(p.training.image)!;
    repositories.push(arns.ecrRepository(m[1]!, m[2]!, m[3]!));
    return { ...images, training: p.training.image, repositories };
  }
}
