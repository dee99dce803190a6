import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { requireEnv, requireNumberEnv } from '../shared/env';
import { parseInput } from '../shared/errors';
import { isEndpointNotFound } from '../shared/sagemaker';
import { createLogger, type Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { S3ObjectStore } from '../shared/s3-object-store';
import { type DriftEnv, type LiveModelReader, prepare, readReport } from './logic';
import { driftTaskSchema } from './schema';

export function sageMakerLiveModel(client: SageMakerClient): LiveModelReader {
  return {
    async liveModel(endpoint) {
      let e: DescribeEndpointCommandOutput;
      try {
        e = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
      } catch (err) {
        if (isEndpointNotFound(err)) return { none: `endpoint ${endpoint} does not exist yet` };
        throw err;
      }
      if (e.EndpointStatus !== 'InService') return { none: `endpoint ${endpoint} is ${e.EndpointStatus}` };
      const c = await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: e.EndpointConfigName! }));
      const primary = c.ProductionVariants?.find((v) => v.VariantName === 'primary');
      return primary?.ModelName ? { modelName: primary.ModelName } : { none: `endpoint ${endpoint} has no "primary" variant` };
    },
    async modelPackageOf(modelName) {
      const m = await client.send(new DescribeModelCommand({ ModelName: modelName }));
      return m.PrimaryContainer?.ModelPackageName ?? m.Containers?.[0]?.ModelPackageName;
    },
    async lineageOf(arn) {
      const p = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
      return p.CustomerMetadataProperties?.lineage;
    },
  };
}

/** Publishes the drifted-feature count of one check. */
export type MetricPublisher = (pipelinePrefix: string, driftedFeatures: number) => Promise<void>;

export function cloudWatchPublisher(client: CloudWatchClient): MetricPublisher {
  return async (prefix, value) => {
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'MLOps',
        MetricData: [{ MetricName: 'DriftedFeatures', Dimensions: [{ Name: 'Pipeline', Value: prefix }], Value: value, Unit: 'Count' }],
      }),
    );
  };
}

export function driftEnv(env: NodeJS.ProcessEnv = process.env): DriftEnv {
  return {
    prefix: requireEnv('RESOURCE_PREFIX', env),
    pipeline: requireEnv('PIPELINE_NAME', env),
    endpointName: requireEnv('ENDPOINT_NAME', env),
    artifactsBucket: requireEnv('ARTIFACTS_BUCKET', env),
    captureBucket: requireEnv('CAPTURE_BUCKET', env),
    capturePrefix: requireEnv('CAPTURE_PREFIX', env),
    windowHours: requireNumberEnv('WINDOW_HOURS', env),
  };
}

/** The drift-check workflow's two tasks: prepare (what to compare) and publish (the metric). */
export function createHandler(
  deps: { sageMaker: LiveModelReader; store: ObjectStore; publish: MetricPublisher; log: Logger },
  env: NodeJS.ProcessEnv = process.env,
) {
  return async (event: unknown) => {
    const task = parseInput(driftTaskSchema, event, 'bad drift-check task');
    const e = driftEnv(env);
    if (task.action === 'prepare') return prepare(deps.sageMaker, deps.store, e, task, deps.log);
    const report = await readReport(deps.store, task.outputUri);
    if (report.driftedFeatures !== null) await deps.publish(e.prefix, report.driftedFeatures);
    deps.log.info('drift published', { status: report.status, driftedFeatures: report.driftedFeatures, drifted: report.drifted });
    return {
      status: report.status,
      rows: report.rows,
      driftedFeatures: report.driftedFeatures,
      drifted: report.drifted.slice(0, 10),
      psiThreshold: report.psiThreshold,
    };
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sageMaker: SageMakerClient; s3: S3Client; cloudWatch: CloudWatchClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler(
    {
      sageMaker: sageMakerLiveModel(c.sageMaker),
      store: new S3ObjectStore(c.s3),
      publish: cloudWatchPublisher(c.cloudWatch),
      log: createLogger('drift-check'),
    },
    env,
  );

export const handler = handlerWith({ sageMaker: new SageMakerClient({}), s3: new S3Client({}), cloudWatch: new CloudWatchClient({}) });
