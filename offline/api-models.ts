import AWS from 'aws-sdk';
import * as enums from '@aws-sdk/client-sagemaker';

/**
 * Validates SageMaker requests against the official API model shipped in the aws-sdk v2
 * package (`apis/sagemaker-2017-07-24.min.json`): unknown members, types and required members.
 * That model carries no enums, so known enum fields are also checked against the enums of the
 * v3 client (@aws-sdk/client-sagemaker).
 */
interface ApiModel {
  operations: Record<string, { input: unknown }>;
}
interface ParamValidatorLike {
  validate(shape: unknown, params: unknown): boolean;
}
// `api` and `ParamValidator` are public at run time but absent from the v2 type declarations.
const api = (new AWS.SageMaker({ region: 'eu-west-1' }) as unknown as { api: ApiModel }).api;
const validator: ParamValidatorLike = new (AWS as unknown as { ParamValidator: new (o: object) => ParamValidatorLike }).ParamValidator({
  min: true,
  max: true,
  pattern: true,
  enum: true,
});

/** API operation for a Step Functions resource, optimized (`sagemaker:createTrainingJob.sync`) or SDK (`aws-sdk:sagemaker:…`). */
export function operationFor(resource: string): string {
  const m = /:states:::(?:aws-sdk:)?sagemaker:([A-Za-z]+)(?:\.sync|\.waitForTaskToken)?$/.exec(resource);
  if (!m) throw new Error(`not a SageMaker integration: ${resource}`);
  return m[1]!;
}

/** Service and operation of any AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>`). */
export function sdkIntegration(resource: string): { service: string; operation: string } {
  const m = /:states:::aws-sdk:([a-z0-9]+):([A-Za-z]+)$/.exec(resource);
  if (!m) throw new Error(`not an AWS SDK integration: ${resource}`);
  return { service: m[1]!, operation: m[2]! };
}

// The other APIs the deployment workflow and its Lambda call, from the same aws-sdk v2 package.
const otherApis: Record<string, ApiModel> = {
  applicationautoscaling: (new AWS.ApplicationAutoScaling({ region: 'eu-west-1' }) as unknown as { api: ApiModel }).api,
  cloudwatch: (new AWS.CloudWatch({ region: 'eu-west-1' }) as unknown as { api: ApiModel }).api,
  ssm: (new AWS.SSM({ region: 'eu-west-1' }) as unknown as { api: ApiModel }).api,
  eventbridge: (new AWS.EventBridge({ region: 'eu-west-1' }) as unknown as { api: ApiModel }).api,
};

/** Validates a request of a non-SageMaker service against its official API model (unknown members, types, required members). */
export function validateAwsRequest(service: string, operation: string, params: unknown): void {
  if (service === 'sagemaker') {
    validateSageMakerRequest(operation, params);
    return;
  }
  const model = otherApis[service];
  if (!model) throw new Error(`no API model loaded for ${service}`);
  const op = model.operations[operation.charAt(0).toLowerCase() + operation.slice(1)];
  if (!op) throw new Error(`${service} has no operation ${operation}`);
  validator.validate(op.input, params as Record<string, unknown>);
}

const ENUM_FIELDS: Record<string, Record<string, string>> = {
  'ResourceConfig.InstanceType': enums.TrainingInstanceType,
  'ProcessingResources.ClusterConfig.InstanceType': enums.ProcessingInstanceType,
  'AlgorithmSpecification.TrainingInputMode': enums.TrainingInputMode,
  ModelApprovalStatus: enums.ModelApprovalStatus,
  'DataCaptureConfig.CaptureOptions.0.CaptureMode': enums.CaptureMode,
  'DataCaptureConfig.CaptureOptions.1.CaptureMode': enums.CaptureMode,
  'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type': enums.TrafficRoutingConfigType,
};
/** Instance types of endpoint variants (ProductionVariant.InstanceType). */
const VARIANT_LISTS = ['ProductionVariants', 'ShadowProductionVariants'];
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** Throws an Error listing every problem when `params` is not a valid request of `operation`. */
export function validateSageMakerRequest(operation: string, params: unknown): void {
  const name = operation.charAt(0).toLowerCase() + operation.slice(1);
  const op = api.operations[name];
  if (!op) throw new Error(`SageMaker has no operation ${operation}`);
  validator.validate(op.input, params as Record<string, unknown>);
  const problems: string[] = [];
  for (const [path, allowed] of Object.entries(ENUM_FIELDS)) {
    const v = at(params, path);
    if (v !== undefined && !Object.values(allowed).includes(v as string)) problems.push(`${path}: "${String(v)}" is not one of the API's values`);
  }
  for (const path of ['TrainingJobName', 'ProcessingJobName', 'ModelPackageGroupName']) {
    const v = at(params, path);
    if (typeof v === 'string' && !JOB_NAME.test(v)) problems.push(`${path}: "${v}" does not match ${JOB_NAME}`);
  }
  for (const list of VARIANT_LISTS.map((l) => at(params, l))) {
    for (const v of (list as Record<string, unknown>[] | undefined) ?? []) {
      if (v.InstanceType !== undefined && !Object.values(enums.ProductionVariantInstanceType).includes(v.InstanceType as never))
        problems.push(`variant InstanceType "${String(v.InstanceType)}" is not one of the API's values`);
      if (typeof v.VariantName === 'string' && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(v.VariantName))
        problems.push(`VariantName "${v.VariantName}" does not match the API pattern`);
    }
  }
  for (const path of ['ModelName', 'EndpointName', 'EndpointConfigName']) {
    const v = at(params, path);
    if (typeof v === 'string' && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(v))
      problems.push(`${path}: "${v}" does not match the API pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`);
  }
  for (const list of [at(params, 'ProcessingInputs'), at(params, 'InputDataConfig')]) {
    for (const item of (list as Record<string, unknown>[] | undefined) ?? []) {
      const dt = at(item, 'S3Input.S3DataType') ?? at(item, 'DataSource.S3DataSource.S3DataType');
      const allowed = at(item, 'S3Input') ? enums.ProcessingS3DataType : enums.S3DataType;
      if (dt !== undefined && !Object.values(allowed).includes(dt as never)) problems.push(`S3DataType "${String(dt)}" is not one of the API's values`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid ${operation} request:\n* ${problems.join('\n* ')}`);
}
