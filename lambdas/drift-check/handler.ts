import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { bestEffort, envAnnouncer, type FactPublisher } from '../shared/event-publisher';
import { traced } from '../shared/tracing';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { envReader } from '../shared/env';
import { DRIFT_METRIC, metricsNamespace, PIPELINE_DIMENSION, PRODUCTION_VARIANT } from '../shared/names';
import { driftCheckEnv } from './contract';
import { parseInput } from '../shared/errors';
import { isEndpointNotFound } from '../shared/sagemaker';
import { createLogger, type Logger, logInvocation } from '../shared/logger';
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
      const primary = c.ProductionVariants?.find((v) => v.VariantName === PRODUCTION_VARIANT);
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
        Namespace: metricsNamespace(prefix),
        MetricData: [{ MetricName: DRIFT_METRIC, Dimensions: [{ Name: PIPELINE_DIMENSION, Value: prefix }], Value: value, Unit: 'Count' }],
      }),
    );
  };
}

const readEnv = envReader(driftCheckEnv);

export function driftEnv(env: NodeJS.ProcessEnv = process.env): DriftEnv {
  const e = readEnv(env);
  return {
    prefix: e.RESOURCE_PREFIX,
    pipeline: e.PIPELINE_NAME,
    endpointName: e.ENDPOINT_NAME,
    artifactsBucket: e.ARTIFACTS_BUCKET,
    captureBucket: e.CAPTURE_BUCKET,
    capturePrefix: e.CAPTURE_PREFIX,
    windowHours: e.WINDOW_HOURS,
  };
}

/** The drift-check workflow's two tasks: prepare (what to compare) and publish (the metric). */
export function createHandler(
  deps: { sageMaker: LiveModelReader; store: ObjectStore; publish: MetricPublisher; announce: FactPublisher; log: Logger },
  env: NodeJS.ProcessEnv = process.env,
) {
  return async (event: unknown, context?: Context) => {
    logInvocation(deps.log, context);
    const task = parseInput(driftTaskSchema, event, 'bad drift-check task');
    const e = driftEnv(env);
    if (task.action === 'prepare') return prepare(deps.sageMaker, deps.store, e, task, deps.log);
    const report = await readReport(deps.store, task.outputUri);
    if (report.driftedFeatures)
      await deps.announce({
        kind: 'drift-detected',
        executionArn: task.executionArn,
        endpointName: e.endpointName,
        modelPackageArn: task.modelPackageArn,
        driftedFeatures: report.driftedFeatures,
        features: report.drifted.slice(0, 10),
        psiThreshold: report.psiThreshold,
      });
    // The metric after the event: its alarm starts the retraining, announced after the drift.
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

const log = createLogger('drift-check');

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (
  c: { sageMaker: SageMakerClient; s3: S3Client; cloudWatch: CloudWatchClient; eventBridge: EventBridgeClient },
  env: NodeJS.ProcessEnv = process.env,
) =>
  createHandler(
    {
      sageMaker: sageMakerLiveModel(c.sageMaker),
      store: new S3ObjectStore(c.s3),
      publish: cloudWatchPublisher(c.cloudWatch),
      announce: bestEffort(envAnnouncer(c.eventBridge, env), log),
      log,
    },
    env,
  );

export const handler = handlerWith({
  sageMaker: traced(new SageMakerClient({})),
  s3: traced(new S3Client({})),
  cloudWatch: traced(new CloudWatchClient({})),
  eventBridge: traced(new EventBridgeClient({})),
});
