import type { NetworkSettings } from '../config/organization';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { deadLetterQueue, failureDestination } from './dead-letter-queue';
import { approvalDeadLetterQueue, captureRoot, PRODUCTION_VARIANT } from '../../lambdas/shared/names';
import type { PipelineConfig } from '../config/schema';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { DeploymentWorkflow } from './deployment-workflow';
import { PlatformFunction } from './platform-function';
import { allow } from './scoped-policy';
import { deploymentEnvSchema } from '../../lambdas/deployment/contract';
import { approvalEnv } from '../../lambdas/model-approval/contract';
import type { LifecycleAnnouncer } from './lifecycle-events';
import { environmentFor } from './function-environment';

export interface ModelDeploymentProps {
  readonly pipeline: PipelineConfig;
  /** The stage's VPC mode (`stages[].network`): the model attaches to its subnets. */
  readonly network?: NetworkSettings;
  readonly resourcePrefix: string;
  readonly modelPackageGroupName: string;
  readonly key: kms.IKey;
  /** The role the endpoint's model runs as (reads artifacts, writes capture). */
  readonly modelRole: iam.IRole;
  readonly notifyFunction: lambda.IFunction;
  /** The approval gate announces a rejected model. */
  readonly announcer: LifecycleAnnouncer;
  readonly captureBucket: string;
  readonly logRetentionDays: number;
  readonly tags: readonly { Key: string; Value: string }[];
}

/** Checks of "is it my turn" (5 minutes apart): a queued deployment waits up to 4 hours. */
const MAX_TURN_ATTEMPTS = 48;

/**
 * Approval → deployment for one pipeline: the rule on the model package group, the approval
 * Lambda (deduplicates approvals; notifies rejections), the deployment workflow and its
 * Lambda, the auto-rollback alarms of the production variant, and the custom resource that
 * deletes runtime-created endpoints, configs and models with the stack.
 */
export class ModelDeployment extends Construct {
  public readonly workflow: DeploymentWorkflow;
  public readonly endpointName: string;
  public readonly alarms: cloudwatch.Alarm[];
  public readonly approvalRule: events.Rule;
  /** The approval gate's dead-letter queue, which the e-mail subscriber of the lifecycle events shares. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ModelDeploymentProps) {
    super(scope, id);
    const d = props.pipeline.deployment;
    const prefix = props.resourcePrefix;
    this.endpointName = prefix;
    const arns = arnsOf(this);
    const common = { resourcePrefix: prefix, logRetentionDays: props.logRetentionDays, logKey: props.key };
    const captureUri = `s3://${props.captureBucket}/${captureRoot(props.pipeline.name)}`;

    this.alarms = this.productionAlarms(prefix, d);
    const deployFn = new PlatformFunction(this, 'DeploymentFunction', {
      ...common,
      handler: 'deployment',
      description: `Deployment decisions of ${prefix}: turn, plan, shadow comparison`,
      timeout: Duration.minutes(2),
      environment: environmentFor(this, deploymentEnvSchema, {
        ...props.announcer.environment,
        RESOURCE_PREFIX: prefix,
        ENDPOINT_NAME: prefix,
        MODEL_PACKAGE_GROUP: props.modelPackageGroupName,
        PROBLEM_TYPE: props.pipeline.schema.problemType,
        CAPTURE_BUCKET: props.captureBucket,
        CAPTURE_PREFIX: captureRoot(props.pipeline.name),
        MAX_TURN_ATTEMPTS: String(MAX_TURN_ATTEMPTS),
        DEPLOYMENT_SETTINGS: JSON.stringify({
          variant: {
            instanceType: d.instanceType,
            instanceCount: d.instanceCount,
            ...(d.serverless ? { serverless: d.serverless } : {}),
            shadowSamplingPercent: d.shadow.samplingPercent,
          },
          rules: { ...d.promotion, minAgreement: d.promotion.minAgreement ?? undefined, minAgreementPairs: 30 },
          agreementTolerance: d.promotion.agreementTolerance,
        }),
      }),
    });
    // It announces a deployment started and the shadow verdict.
    props.announcer.grant(deployFn.role);
    const stateMachineName = `${prefix}-deployment`;
    allow(
      deployFn.role,
      { actions: ['states:ListExecutions'], resources: [arns.stateMachine(stateMachineName)] },
      {
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [arns.sageMaker('model-package', `${props.modelPackageGroupName}/*`)],
        wildcardReason: "Versions of this pipeline's model package group are numbered by SageMaker.",
      },
      { actions: ['sagemaker:DescribeEndpoint'], resources: [arns.sageMaker('endpoint', prefix)] },
      // Which package production serves: its variant's model says (the plan skips a package that is already live).
      {
        actions: ['sagemaker:DescribeModel'],
        resources: [arns.sageMaker('model', `${prefix}--*`)],
        wildcardReason: `Models are named per deployment; "${prefix}--*" matches only this pipeline's.`,
      },
      {
        actions: ['sagemaker:DescribeEndpointConfig'],
        resources: [arns.sageMaker('endpoint-config', `${prefix}--*`)],
        wildcardReason: `Endpoint configs are named per deployment; "${prefix}--*" matches only this pipeline's.`,
      },
      {
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
        wildcardReason:
          "cloudwatch:GetMetricData reads metrics, which are no resource (the reference's only resource type, optional, is a CloudWatch dataset).",
      },
      // The comparison lists capture with ListObjectVersions, which S3 authorizes as s3:ListBucketVersions.
      {
        actions: ['s3:ListBucketVersions'],
        resources: [arns.bucket(props.captureBucket)],
        conditions: { StringLike: { 's3:prefix': [`${captureRoot(props.pipeline.name)}/*`] } },
      },
      {
        actions: ['s3:GetObject'],
        resources: [arns.objects(props.captureBucket, `${captureRoot(props.pipeline.name)}/*`)],
        wildcardReason: "Data capture files are written by SageMaker at run time under the pipeline's capture prefix.",
      },
      { actions: ['kms:Decrypt'], resources: [props.key.keyArn] },
    );

    // With deployment guardrails, SageMaker reads the auto-rollback alarms as the model's execution role (CreateModel API, execution role permissions).
    allow(props.modelRole, { actions: ['cloudwatch:DescribeAlarms'], resources: this.alarms.map((a) => a.alarmArn) });

    this.workflow = new DeploymentWorkflow(this, 'Workflow', {
      resourcePrefix: prefix,
      deployment: d,
      deploymentFunction: deployFn.function,
      notifyFunction: props.notifyFunction,
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      maxTurnAttempts: MAX_TURN_ATTEMPTS,
      requests: {
        deployment: d,
        endpointName: prefix,
        modelRoleArn: props.modelRole.roleArn,
        keyArn: props.key.keyArn,
        captureUri,
        // Literal names (not Refs): the alarms are created in this stack before the workflow can run.
        alarmNames: this.alarms.map((a) => (a.node.defaultChild as cloudwatch.CfnAlarm).alarmName!),
        scalingPolicyName: `${prefix}-invocations-per-instance`,
        tags: props.tags,
        network: props.network,
      },
    });
    for (const a of this.alarms) this.workflow.stateMachine.node.addDependency(a);
    this.grantWorkflow(props);
    this.deadLetterQueue = deadLetterQueue(this, 'ApprovalDeadLetterQueue', {
      name: approvalDeadLetterQueue(props.resourcePrefix),
      key: props.key,
      of: 'the approval gate and the e-mail subscriber (EventBridge target DLQ and Lambda on-failure destination)',
    });
    this.approvalRule = this.approvalGate(props, common);
    this.cleanup(props, common);
  }

  /** The alarms blue/green promotion watches (and auto-rolls back on): 5XX and p99 latency of the production variant. */
  private productionAlarms(endpoint: string, d: PipelineConfig['deployment']): cloudwatch.Alarm[] {
    const alarm = (id: string, name: string, metricName: string, statistic: string, threshold: number, description: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmName: `${endpoint}-${PRODUCTION_VARIANT}-${name}`,
        alarmDescription: description,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/SageMaker',
          metricName,
          dimensionsMap: { EndpointName: endpoint, VariantName: PRODUCTION_VARIANT },
          statistic,
          period: Duration.minutes(1),
        }),
        threshold,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    return [
      alarm(
        'Production5xxAlarm',
        '5xx',
        'Invocation5XXErrors',
        'Sum',
        d.alarms.max5xxPerMinute,
        `${endpoint}: ${d.alarms.max5xxPerMinute}+ 5XX errors a minute in 2 of 3 minutes (blue/green auto-rollback)`,
      ),
      alarm(
        'ProductionLatencyAlarm',
        'p99-latency',
        'ModelLatency',
        'p99',
        d.alarms.maxP99LatencyMs * 1000,
        `${endpoint}: p99 model latency of ${d.alarms.maxP99LatencyMs} ms or more in 2 of 3 minutes (blue/green auto-rollback; ModelLatency is in microseconds)`,
      ),
    ];
  }

  /** The workflow may touch only this pipeline's model, configs, endpoint and packages, and pass only the model role. */
  private grantWorkflow(props: ModelDeploymentProps): void {
    const role = this.workflow.stateMachine.role;
    const arns = arnsOf(this);
    const prefix = props.resourcePrefix;
    const model = arns.sageMaker('model', `${prefix}--*`);
    const configs = arns.sageMaker('endpoint-config', `${prefix}--*`);
    const endpoint = arns.sageMaker('endpoint', prefix);
    const packages = arns.sageMaker('model-package', `${props.modelPackageGroupName}/*`);
    const perDeployment = `Models and endpoint configs are named per deployment; "${prefix}--*" matches only this pipeline's ("--" never occurs in a pipeline name).`;
    allow(
      role,
      { actions: ['sagemaker:CreateModel'], resources: [model], wildcardReason: perDeployment },
      { actions: ['sagemaker:CreateEndpointConfig'], resources: [configs], wildcardReason: perDeployment },
      { actions: ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'], resources: [endpoint, configs], wildcardReason: perDeployment },
      // DeleteEndpoint: only a first deployment that failed after creating the endpoint (no production before it).
      { actions: ['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'], resources: [endpoint] },
      {
        actions: ['sagemaker:AddTags'],
        resources: [model, configs, endpoint, packages],
        wildcardReason: `${perDeployment} Package versions are numbered by SageMaker.`,
      },
      // The live version carries the tag mlops:live; the version it replaces loses it.
      {
        actions: ['sagemaker:DeleteTags'],
        resources: [packages],
        wildcardReason: "Package versions are numbered by SageMaker; only this pipeline's group.",
      },
      {
        actions: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'],
        resources: [packages],
        wildcardReason: "Versions of this pipeline's model package group are numbered by SageMaker.",
      },
      { actions: ['iam:PassRole'], resources: [props.modelRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } },
      { actions: ['kms:CreateGrant'], resources: [props.key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
      { actions: ['kms:DescribeKey'], resources: [props.key.keyArn] },
    );
    const d = props.pipeline.deployment;
    if (!d.serverless && d.autoScaling.enabled) {
      const scaling = ownScalableTargets(this, props.tags);
      allow(
        role,
        {
          actions: ['application-autoscaling:RegisterScalableTarget'],
          resources: [scaling.arn],
          conditions: scaling.registering,
          wildcardReason: scaling.reason,
        },
        {
          actions: ['application-autoscaling:TagResource'],
          resources: [scaling.arn],
          conditions: scaling.tagging,
          wildcardReason: scaling.reason,
        },
        {
          actions: ['application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeregisterScalableTarget'],
          resources: [scaling.arn],
          conditions: scaling.acting,
          wildcardReason: scaling.reason,
        },
        {
          actions: ['application-autoscaling:DescribeScalableTargets'],
          resources: ['*'],
          wildcardReason: 'DescribeScalableTargets has no resource-level permissions (service authorization reference); it only reads.',
        },
        {
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [arns.serviceLinkedRole('sagemaker.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint')],
          conditions: { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
        },
        { actions: ['sagemaker:UpdateEndpointWeightsAndCapacities'], resources: [endpoint] },
        {
          actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
          resources: [arns.alarm(`TargetTracking-endpoint/${prefix}/variant/${PRODUCTION_VARIANT}-*`)],
          wildcardReason: 'Target tracking names its alarms after the scalable target with a generated suffix.',
        },
      );
    }
  }

  /** Model package group → Approved starts a deployment, Rejected sends a notification (through one deduplicating Lambda). */
  private approvalGate(props: ModelDeploymentProps, common: { resourcePrefix: string; logRetentionDays: number; logKey: kms.IKey }): events.Rule {
    const dlq = this.deadLetterQueue;
    const fn = new PlatformFunction(this, 'ApprovalFunction', {
      ...common,
      handler: 'model-approval',
      description: `Approval gate of ${props.modelPackageGroupName}: Approved → deployment, Rejected → notification`,
      timeout: Duration.seconds(30),
      environment: environmentFor(this, approvalEnv, { ...props.announcer.environment, STATE_MACHINE_ARN: this.workflow.stateMachine.stateMachineArn }),
    });
    fn.function.configureAsyncInvoke({
      retryAttempts: SECURE_DEFAULTS.lambda.asyncRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: failureDestination(dlq, props.key),
    });
    this.workflow.stateMachine.grantStartExecution(fn.function);
    props.announcer.grant(fn.role);
    return new events.Rule(this, 'ApprovalRule', {
      description: `Approval decisions on model package group ${props.modelPackageGroupName}`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: [props.modelPackageGroupName], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      targets: [new targets.LambdaFunction(fn.function, { deadLetterQueue: dlq, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
  }

  /** Custom resource: deletes the endpoint, configs and models made at run time when the stack goes (unless retainOnDelete). */
  private cleanup(props: ModelDeploymentProps, common: { resourcePrefix: string; logRetentionDays: number; logKey: kms.IKey }): void {
    const prefix = props.resourcePrefix;
    const fn = new PlatformFunction(this, 'CleanupFunction', {
      ...common,
      handler: 'endpoint-cleanup',
      description: `Deletes ${prefix} and its ${prefix}--* endpoint configs and models with the stack`,
      timeout: Duration.minutes(15),
      environment: {},
    });
    const arns = arnsOf(this);
    const scaling = ownScalableTargets(this, props.tags);
    allow(
      fn.role,
      { actions: ['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'], resources: [arns.sageMaker('endpoint', prefix)] },
      {
        actions: ['sagemaker:ListEndpointConfigs', 'sagemaker:ListModels'],
        resources: ['*'],
        wildcardReason: 'SageMaker List* calls have no resource-level permissions.',
      },
      {
        actions: ['sagemaker:DeleteEndpointConfig'],
        resources: [arns.sageMaker('endpoint-config', `${prefix}--*`)],
        wildcardReason: `Deletes only endpoint configs named "${prefix}--*" (this pipeline's).`,
      },
      {
        actions: ['sagemaker:DeleteModel'],
        resources: [arns.sageMaker('model', `${prefix}--*`)],
        wildcardReason: `Deletes only models named "${prefix}--*" (this pipeline's).`,
      },
      {
        actions: ['application-autoscaling:DeregisterScalableTarget'],
        resources: [scaling.arn],
        conditions: scaling.acting,
        wildcardReason: `Deleting a scaled endpoint deregisters its scalable target. ${scaling.reason}`,
      },
    );
    const resource = new CustomResource(this, 'RuntimeResources', {
      serviceToken: fn.function.functionArn,
      resourceType: 'Custom::RuntimeResources',
      properties: { EndpointName: prefix, NamePrefix: `${prefix}--`, Retain: String(props.pipeline.deployment.retainOnDelete) },
    });
    resource.node.addDependency(fn);
  }
}

/**
 * Application Auto Scaling statements limited to this pipeline's scalable target. Its ARN has a
 * random id, so the scope is its tags (the pipeline's, set at registration and by TagResource):
 * acting needs them on the target or none yet (a target registered by an earlier version), tagging
 * needs exactly them in the request. Service authorization reference: resource type
 * `scalable-target` with `aws:ResourceTag/${TagKey}`; RegisterScalableTarget and TagResource with
 * `aws:RequestTag/${TagKey}`; every call limited to SageMaker variants' instance counts.
 */
function ownScalableTargets(scope: Construct, tags: readonly { Key: string; Value: string }[]) {
  const own = (key: string) => Object.fromEntries(tags.map((t) => [`aws:${key}/${t.Key}`, t.Value]));
  const sageMakerVariants = {
    'application-autoscaling:service-namespace': 'sagemaker',
    'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
  };
  const acting = { StringEqualsIfExists: own('ResourceTag') };
  const tagging = { ...acting, StringEquals: own('RequestTag'), 'ForAllValues:StringEquals': { 'aws:TagKeys': tags.map((t) => t.Key) } };
  return {
    arn: arnsOf(scope).scalableTargets(),
    acting: { ...acting, StringEquals: sageMakerVariants },
    tagging,
    // TagResource has no namespace or dimension keys (service authorization reference); RegisterScalableTarget has both.
    registering: { ...tagging, StringEquals: { ...tagging.StringEquals, ...sageMakerVariants } },
    reason: `Scalable targets get random ids; the statement is limited to targets tagged ${tags.map((t) => `${t.Key}=${t.Value}`).join(', ')} (or not yet tagged) by aws:ResourceTag/aws:RequestTag conditions.`,
  };
}
