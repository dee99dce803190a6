import { type NetworkSettings, sageMakerVpcConfig } from '../config/organization';
import { hasInstanceStorage } from '../config/images';
import type { PipelineConfig } from '../config/schema';
import { trainingHyperparameters } from '../config/training';

/**
 * Request bodies of the SageMaker jobs the training workflow starts, in the API's own shape
 * (PascalCase). Keys ending in `.$` are JSONPath into the workflow state (see
 * lambdas/validate-dataset: `$.validation` holds the run's job names and S3 paths).
 */
export interface JobContext {
  readonly pipeline: PipelineConfig;
  readonly roleArn: string;
  readonly keyArn: string;
  /** `s3://<artifacts>/<pipeline>/code/<version>/`: ml/*.py and pipeline.json. */
  readonly codeUri: string;
  /** SKLearn 1.2-1: preprocessing. */
  readonly sklearnImage: string;
  /** XGBoost 1.7-1: evaluation (the SKLearn image has no xgboost to load the model with). */
  readonly xgboostImage: string;
  readonly trainingImage: string;
  readonly tags: readonly { Key: string; Value: string }[];
  /** The stage's VPC mode (`stages[].network`): the jobs' ENIs go in its subnets. */
  readonly network?: NetworkSettings;
}

const CODE_DIR = '/opt/ml/processing/input/code';
const input = (name: string, localPath: string, uri: Record<string, string>, dataType: 'S3Prefix' | 'ManifestFile' = 'S3Prefix', sharded = false) => ({
  InputName: name,
  S3Input: {
    ...uri,
    LocalPath: localPath,
    S3DataType: dataType,
    S3InputMode: 'File',
    S3DataDistributionType: sharded ? 'ShardedByS3Key' : 'FullyReplicated',
  },
});
const output = (name: string) => ({
  OutputName: name,
  S3Output: { 'S3Uri.$': `$.validation.paths.${name}`, LocalPath: `/opt/ml/processing/output/${name}`, S3UploadMode: 'EndOfJob' },
});

function cluster(c: { instanceType: string; instanceCount: number; volumeSizeGb: number }, keyArn: string) {
  return {
    ClusterConfig: {
      InstanceCount: c.instanceCount,
      InstanceType: c.instanceType,
      VolumeSizeInGB: c.volumeSizeGb,
      ...(hasInstanceStorage(c.instanceType) ? {} : { VolumeKmsKeyId: keyArn }),
    },
  };
}

function processingJob(
  ctx: JobContext,
  image: string,
  namePath: string,
  script: string,
  compute: Pick<PipelineConfig['preprocessing'], 'instanceType' | 'instanceCount' | 'volumeSizeGb' | 'maxRuntimeSeconds'>,
) {
  return {
    'ProcessingJobName.$': namePath,
    RoleArn: ctx.roleArn,
    AppSpecification: {
      ImageUri: image,
      ContainerEntrypoint: ['python3', `${CODE_DIR}/${script}`],
      ContainerArguments: ['--config', `${CODE_DIR}/pipeline.json`],
    },
    ProcessingResources: cluster(compute, ctx.keyArn),
    StoppingCondition: { MaxRuntimeInSeconds: compute.maxRuntimeSeconds },
    NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: compute.instanceCount > 1, ...sageMakerVpcConfig(ctx.network) },
    Tags: ctx.tags,
  };
}

/**
 * Preprocessing: the validated files (a manifest) → train/validation/test/baseline CSVs. With more
 * than one instance, SageMaker gives each a share of the files (ShardedByS3Key) and each writes
 * its own files, named after its host (ml/preprocess.py).
 */
export function preprocessingJob(ctx: JobContext) {
  const sharded = ctx.pipeline.preprocessing.instanceCount > 1;
  return {
    ...processingJob(ctx, ctx.sklearnImage, '$.validation.jobs.preprocess', 'preprocess.py', ctx.pipeline.preprocessing),
    ProcessingInputs: [
      input('code', CODE_DIR, { S3Uri: ctx.codeUri }),
      input('data', '/opt/ml/processing/input/data', { 'S3Uri.$': '$.validation.paths.manifest' }, 'ManifestFile', sharded),
    ],
    ProcessingOutputConfig: {
      Outputs: ['train', 'validation', 'test', 'baseline'].map(output),
      KmsKeyId: ctx.keyArn,
    },
  };
}

/** Evaluation: the trained model on the held-out test set → evaluation.json. */
export function evaluationJob(ctx: JobContext) {
  return {
    ...processingJob(ctx, ctx.xgboostImage, '$.validation.jobs.evaluation', 'evaluate.py', { ...ctx.pipeline.evaluation, instanceCount: 1 }),
    ProcessingInputs: [
      input('code', CODE_DIR, { S3Uri: ctx.codeUri }),
      input('model', '/opt/ml/processing/input/model', { 'S3Uri.$': '$.training.modelArtifacts' }),
      input('test', '/opt/ml/processing/input/test', { 'S3Uri.$': '$.validation.paths.test' }),
    ],
    ProcessingOutputConfig: { Outputs: [output('evaluation')], KmsKeyId: ctx.keyArn },
  };
}

/** Training: built-in XGBoost 1.7-1 (or a custom image), optional managed spot with checkpoints. */
export function trainingJob(ctx: JobContext) {
  const t = ctx.pipeline.training;
  const channel = (name: 'train' | 'validation', sharded: boolean) => ({
    ChannelName: name,
    ContentType: 'text/csv',
    CompressionType: 'None',
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': `$.validation.paths.${name}`, S3DataDistributionType: sharded ? 'ShardedByS3Key' : 'FullyReplicated' },
    },
  });
  return {
    'TrainingJobName.$': '$.validation.jobs.training',
    RoleArn: ctx.roleArn,
    AlgorithmSpecification: { TrainingImage: ctx.trainingImage, TrainingInputMode: 'File' },
    HyperParameters: trainingHyperparameters(ctx.pipeline),
    InputDataConfig: [channel('train', t.instanceCount > 1), channel('validation', false)],
    OutputDataConfig: { 'S3OutputPath.$': '$.validation.paths.model', KmsKeyId: ctx.keyArn },
    ResourceConfig: {
      InstanceCount: t.instanceCount,
      InstanceType: t.instanceType,
      VolumeSizeInGB: t.volumeSizeGb,
      ...(hasInstanceStorage(t.instanceType) ? {} : { VolumeKmsKeyId: ctx.keyArn }),
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: t.maxRuntimeSeconds,
      ...(t.spot.enabled ? { MaxWaitTimeInSeconds: t.spot.maxWaitSeconds } : {}),
    },
    ...(t.spot.enabled ? { EnableManagedSpotTraining: true, CheckpointConfig: { 'S3Uri.$': '$.validation.paths.checkpoints' } } : {}),
    EnableNetworkIsolation: t.enableNetworkIsolation,
    EnableInterContainerTrafficEncryption: t.instanceCount > 1,
    ...sageMakerVpcConfig(ctx.network),
    Tags: ctx.tags,
  };
}

/** Drift check: the live model's baseline and the captured requests (a manifest) → drift.json. `$.prepared` is the drift-check Lambda's answer. */
export function driftCheckJob(ctx: JobContext) {
  const m = ctx.pipeline.monitoring;
  return {
    ...processingJob(ctx, ctx.sklearnImage, '$.prepared.jobName', 'drift.py', {
      instanceType: m.instanceType,
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntimeSeconds: m.maxRuntimeSeconds,
    }),
    ProcessingInputs: [
      input('code', CODE_DIR, { S3Uri: ctx.codeUri }),
      input('baseline', '/opt/ml/processing/input/baseline', { 'S3Uri.$': '$.prepared.baselineUri' }),
      input('capture', '/opt/ml/processing/input/capture', { 'S3Uri.$': '$.prepared.captureManifestUri' }, 'ManifestFile'),
    ],
    ProcessingOutputConfig: {
      Outputs: [
        { OutputName: 'drift', S3Output: { 'S3Uri.$': '$.prepared.outputUri', LocalPath: '/opt/ml/processing/output/drift', S3UploadMode: 'EndOfJob' } },
      ],
      KmsKeyId: ctx.keyArn,
    },
  };
}
