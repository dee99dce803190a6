import { type NetworkSettings, sageMakerVpcConfig } from '../config/organization';
import type { DeploymentConfig } from '../config/deployment-schema';
import { PRODUCTION_VARIANT } from '../../lambdas/shared/names';
import { hasInstanceStorage } from '../config/images';

/**
 * Request bodies of the deployment workflow's SageMaker and Application Auto Scaling calls, in
 * the APIs' own shape. Keys ending in `.$` are JSONPath into the workflow state, where
 * `$.plan` is the deployment Lambda's plan (lambdas/deployment/plan.ts). Everything security
 * relevant (KMS, data capture, network isolation, tags) is fixed here, at synth, so it can be
 * reviewed in the template even though the resources are created at run time.
 */
export interface DeploymentRequestContext {
  readonly deployment: DeploymentConfig;
  readonly endpointName: string;
  readonly modelRoleArn: string;
  readonly keyArn: string;
  /** `s3://<capture bucket>/<pipeline>/datacapture` */
  readonly captureUri: string;
  readonly alarmNames: readonly string[];
  readonly scalingPolicyName: string;
  readonly tags: readonly { Key: string; Value: string }[];
  /** The stage's VPC mode: the model's containers attach to its subnets. */
  readonly network?: NetworkSettings;
}

/** Endpoint configs get the data key unless the instances have local NVMe storage or are serverless. */
export function endpointKmsKey(ctx: DeploymentRequestContext): Record<string, string> {
  const d = ctx.deployment;
  return d.serverless || hasInstanceStorage(d.instanceType) ? {} : { KmsKeyId: ctx.keyArn };
}

/** Data capture of inputs and outputs (KMS-encrypted); serverless endpoints do not support it. */
function dataCapture(ctx: DeploymentRequestContext): Record<string, unknown> {
  if (ctx.deployment.serverless) return {};
  return {
    DataCaptureConfig: {
      EnableCapture: true,
      InitialSamplingPercentage: ctx.deployment.dataCaptureSamplingPercent,
      DestinationS3Uri: ctx.captureUri,
      KmsKeyId: ctx.keyArn,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
    },
  };
}

/** Where the workflow holds the request parts that several states send (the Requests state puts them there first). */
export const SHARED = '$.requests';

/**
 * The request parts that several states send, fixed here like the rest and put into the state
 * once (the `Requests` state) instead of into every state that sends them: the tags, data
 * capture, and the auto-scaling bodies (sent whole with `InputPath`). The template stays the
 * one place to review them, at a fraction of its size.
 */
export function sharedRequests(ctx: DeploymentRequestContext): Record<string, unknown> {
  const d = ctx.deployment;
  const scaling = !d.serverless && d.autoScaling.enabled;
  return {
    tags: ctx.tags,
    ...(d.serverless ? {} : { dataCapture: dataCapture(ctx).DataCaptureConfig }),
    ...(scaling ? { scalableTarget: scalableTarget(ctx), register: registerScalableTarget(ctx), policy: putScalingPolicy(ctx) } : {}),
  };
}

/** A request sent whole from the shared parts (`InputPath`), e.g. `new SharedRequest('register')`. */
export class SharedRequest {
  constructor(readonly name: 'register' | 'policy' | 'scalableTarget') {}
  get inputPath(): string {
    return `${SHARED}.${this.name}`;
  }
}

const sharedTags = { 'Tags.$': `${SHARED}.tags` };

export const createModel = (ctx: DeploymentRequestContext) => ({
  'ModelName.$': '$.plan.modelName',
  ExecutionRoleArn: ctx.modelRoleArn,
  PrimaryContainer: { 'ModelPackageName.$': '$.modelPackageArn' },
  EnableNetworkIsolation: true,
  ...sageMakerVpcConfig(ctx.network),
  ...sharedTags,
});

/** CreateEndpointConfig for one of the plan's configs (`shadow`, `promote`, `restore` or `recover`). */
export function createEndpointConfig(ctx: DeploymentRequestContext, which: 'shadow' | 'promote' | 'restore' | 'recover') {
  return {
    'EndpointConfigName.$': `$.plan.configs.${which}.name`,
    'ProductionVariants.$': `$.plan.configs.${which}.productionVariants`,
    ...(which === 'shadow' ? { 'ShadowProductionVariants.$': '$.plan.configs.shadow.shadowVariants' } : {}),
    ...(ctx.deployment.serverless ? {} : { 'DataCaptureConfig.$': `${SHARED}.dataCapture` }),
    ...endpointKmsKey(ctx),
    ...sharedTags,
  };
}

export const createEndpoint = (ctx: DeploymentRequestContext) => ({
  EndpointName: ctx.endpointName,
  'EndpointConfigName.$': '$.plan.configs.promote.name',
  ...sharedTags,
});

/** Blue/green with all-at-once traffic shifting, a bake period and auto-rollback on this stack's alarms. */
export function blueGreen(ctx: DeploymentRequestContext) {
  const bake = ctx.deployment.promotion.bakeMinutes * 60;
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
      TerminationWaitInSeconds: bake,
      MaximumExecutionTimeoutInSeconds: Math.min(28800, Math.max(600, bake + 1800)),
    },
    AutoRollbackConfiguration: { Alarms: ctx.alarmNames.map((AlarmName) => ({ AlarmName })) },
  };
}

/**
 * UpdateEndpoint to one of the plan's configs. The promotion goes blue/green; the shadow and
 * restore updates keep the production variant's current instance count (auto-scaling may
 * have changed it) with RetainAllVariantProperties; the recovery retains them only while the
 * variant still runs the previous model (`$.recovery.retain`), else the config's count, the
 * capacity production had when the deployment began, applies.
 */
export function updateEndpoint(ctx: DeploymentRequestContext, which: 'shadow' | 'promote' | 'restore' | 'recover') {
  return {
    EndpointName: ctx.endpointName,
    'EndpointConfigName.$': `$.plan.configs.${which}.name`,
    ...(which === 'promote'
      ? { DeploymentConfig: blueGreen(ctx) }
      : which === 'recover'
        ? { 'RetainAllVariantProperties.$': '$.recovery.retain' }
        : { RetainAllVariantProperties: true }),
  };
}

export const rejectPackage = () => ({
  'ModelPackageArn.$': '$.modelPackageArn',
  ModelApprovalStatus: 'Rejected',
  // Must start with ROLLBACK_MARK (lambdas/model-approval/logic.ts): the approval Lambda then knows the rollback message already went out.
  'ApprovalDescription.$': "States.Format('Rolled back by the deployment workflow: {}', States.JsonToString($.rollback.reasons))",
});

/** The tag that marks, in the registry, the package version production serves. */
export const LIVE_TAG = 'mlops:live';

export const tagLive = (ctx: DeploymentRequestContext) => ({
  'ResourceArn.$': '$.modelPackageArn',
  Tags: [{ Key: LIVE_TAG, Value: ctx.endpointName }],
});

export const untagReplaced = () => ({
  'ResourceArn.$': '$.plan.live.modelPackageArn',
  TagKeys: [LIVE_TAG],
});

/** Application Auto Scaling: the production variant's instance count. */
export const scalableTarget = (ctx: DeploymentRequestContext) => ({
  ServiceNamespace: 'sagemaker',
  ResourceId: `endpoint/${ctx.endpointName}/variant/${PRODUCTION_VARIANT}`,
  ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
});

/**
 * The scalable target's tags: the pipeline's (project, stage, pipeline). The deployment role may
 * act only on targets that carry them or carry none yet, so no pipeline can change another's
 * scaling (Application Auto Scaling authorizes scalable targets by `aws:ResourceTag`).
 */
export const scalableTargetTags = (ctx: DeploymentRequestContext): Record<string, string> => Object.fromEntries(ctx.tags.map((t) => [t.Key, t.Value]));

export const registerScalableTarget = (ctx: DeploymentRequestContext) => ({
  ...scalableTarget(ctx),
  MinCapacity: ctx.deployment.instanceCount,
  MaxCapacity: ctx.deployment.autoScaling.maxInstances,
  Tags: scalableTargetTags(ctx),
});

/** RegisterScalableTarget tags only a target it creates: a target registered before keeps none, so it is tagged here. */
export const tagScalableTarget = (ctx: DeploymentRequestContext, registered: string) => ({
  'ResourceARN.$': `${registered}.ScalableTargetARN`,
  Tags: scalableTargetTags(ctx),
});

export const putScalingPolicy = (ctx: DeploymentRequestContext) => ({
  ...scalableTarget(ctx),
  PolicyName: ctx.scalingPolicyName,
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingScalingPolicyConfiguration: {
    TargetValue: ctx.deployment.autoScaling.targetInvocationsPerInstance,
    PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
    ScaleInCooldown: 300,
    ScaleOutCooldown: 60,
  },
});
