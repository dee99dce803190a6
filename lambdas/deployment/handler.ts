import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { bestEffort, envAnnouncer, type FactPublisher } from '../shared/event-publisher';
import { traced } from '../shared/tracing';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { paginateListExecutions, SFNClient } from '@aws-sdk/client-sfn';
import { envReader } from '../shared/env';
import { deploymentEnvSchema } from './contract';
import { parseInput } from '../shared/errors';
import { isEndpointNotFound } from '../shared/sagemaker';
import { createLogger, type Logger, logInvocation } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { S3ObjectStore } from '../shared/s3-object-store';
import { checkRecovery, compare, type DeploymentEnv, type MetricsReader, plan, type RunningExecution, type SageMakerReader, takeTurn } from './logic';
import type { Variant } from './plan';
import { deploymentTaskSchema } from './schema';
import type { Context } from 'aws-lambda';

/** SageMaker's Describe* calls; a missing endpoint is `undefined`, not an error. */
export function sageMakerReader(client: SageMakerClient): SageMakerReader {
  return {
    async describeModelPackage(arn) {
      const p = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
      return { group: p.ModelPackageGroupName, version: p.ModelPackageVersion, approvalStatus: p.ModelApprovalStatus, status: p.ModelPackageStatus };
    },
    async describeEndpoint(name) {
      try {
        const e = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
        return {
          status: e.EndpointStatus ?? 'Unknown',
          endpointConfigName: e.EndpointConfigName ?? '',
          ...(e.FailureReason ? { failureReason: e.FailureReason } : {}),
          instanceCounts: Object.fromEntries(
            (e.ProductionVariants ?? []).flatMap((v) => {
              const n = v.CurrentInstanceCount ?? v.DesiredInstanceCount;
              return v.VariantName && n !== undefined ? [[v.VariantName, n]] : [];
            }),
          ),
        };
      } catch (err) {
        if (isEndpointNotFound(err)) return undefined;
        throw err;
      }
    },
    async describeEndpointConfig(name) {
      const c = await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
      return { productionVariants: (c.ProductionVariants ?? []) as Variant[], shadowVariants: (c.ShadowProductionVariants ?? []) as Variant[] };
    },
    async describeModel(name) {
      const m = await client.send(new DescribeModelCommand({ ModelName: name }));
      return m.PrimaryContainer?.ModelPackageName ? { modelPackageName: m.PrimaryContainer.ModelPackageName } : {};
    },
  };
}

/** Invocations, errors (5XX + model errors) and p99 ModelLatency of a variant, summed over the window. */
export function cloudWatchMetrics(client: CloudWatchClient): MetricsReader {
  return {
    async variantMetrics(endpoint, variant, start, end) {
      const period = Math.max(60, Math.ceil((end.getTime() - start.getTime()) / 60_000) * 60);
      const dims = [
        { Name: 'EndpointName', Value: endpoint },
        { Name: 'VariantName', Value: variant },
      ];
      const q = (id: string, metric: string, stat: string) => ({
        Id: id,
        MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: metric, Dimensions: dims }, Period: period, Stat: stat },
        ReturnData: true,
      });
      const out = await client.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: [
            q('invocations', 'Invocations', 'Sum'),
            q('errors5xx', 'Invocation5XXErrors', 'Sum'),
            q('modelerrors', 'InvocationModelErrors', 'Sum'),
            q('p99', 'ModelLatency', 'p99'),
          ],
        }),
      );
      const values = (id: string) => out.MetricDataResults?.find((r) => r.Id === id)?.Values ?? [];
      const sum = (id: string) => (values(id).length > 0 ? values(id).reduce((a, b) => a + b, 0) : undefined);
      const invocations = sum('invocations');
      const errors = sum('errors5xx') !== undefined || sum('modelerrors') !== undefined ? (sum('errors5xx') ?? 0) + (sum('modelerrors') ?? 0) : undefined;
      const p99 = values('p99').length > 0 ? Math.max(...values('p99')) : undefined;
      return {
        ...(invocations !== undefined ? { invocations } : {}),
        ...(errors !== undefined ? { errors } : {}),
        ...(p99 !== undefined ? { p99LatencyUs: p99 } : {}),
      };
    },
  };
}

const readEnv = envReader(deploymentEnvSchema);

export function deploymentEnv(env: NodeJS.ProcessEnv = process.env): DeploymentEnv {
  const e = readEnv(env);
  const settings = e.DEPLOYMENT_SETTINGS;
  return {
    prefix: e.RESOURCE_PREFIX,
    endpointName: e.ENDPOINT_NAME,
    modelPackageGroup: e.MODEL_PACKAGE_GROUP,
    settings: settings.variant,
    rules: settings.rules,
    problemType: e.PROBLEM_TYPE,
    agreementTolerance: settings.agreementTolerance,
    capture: { bucket: e.CAPTURE_BUCKET, prefix: e.CAPTURE_PREFIX, endpoint: e.ENDPOINT_NAME },
  };
}

export interface DeploymentDeps {
  readonly sageMaker: SageMakerReader;
  readonly metrics: MetricsReader;
  readonly store: ObjectStore;
  readonly running: (stateMachineArn: string) => Promise<RunningExecution[]>;
  /** Announces a deployment started and the shadow verdict on the stage's bus. */
  readonly announce: FactPublisher;
  readonly log: Logger;
}

export function sfnRunning(client: SFNClient): DeploymentDeps['running'] {
  return async (stateMachineArn) => {
    const running: RunningExecution[] = [];
    for await (const page of paginateListExecutions({ client, pageSize: 100 }, { stateMachineArn, statusFilter: 'RUNNING' }))
      for (const e of page.executions ?? []) running.push({ executionArn: e.executionArn!, startDate: new Date(e.startDate!) });
    return running;
  };
}

/** One Lambda for the deployment workflow's three decisions: whose turn, what to do, promote or not. */
export function createHandler(deps: DeploymentDeps, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context) => {
    logInvocation(deps.log, context);
    const task = parseInput(deploymentTaskSchema, event, 'bad deployment task');
    switch (task.action) {
      case 'turn': {
        const running = await deps.running(task.stateMachineArn);
        const result = takeTurn(
          { executionArn: task.executionArn, startDate: new Date(task.startTime) },
          running,
          task.attempt,
          readEnv(env).MAX_TURN_ATTEMPTS,
        );
        deps.log.info('turn checked', { ...result, running: running.length });
        return result;
      }
      case 'plan': {
        const e = deploymentEnv(env);
        const result = await plan(deps.sageMaker, e, task, deps.log);
        if (result.mode !== 'already-live')
          await deps.announce({
            kind: 'deployment-started',
            executionArn: task.executionArn,
            modelPackageArn: task.modelPackageArn,
            endpointName: e.endpointName,
            mode: result.mode,
          });
        return result;
      }
      case 'compare': {
        const e = deploymentEnv(env);
        const comparison = await compare(deps.metrics, deps.store, e, task, deps.log);
        await deps.announce({
          kind: 'shadow-verdict',
          executionArn: task.executionArn,
          modelPackageArn: task.modelPackageArn,
          endpointName: e.endpointName,
          comparison,
        });
        return comparison;
      }
      case 'recover':
        return checkRecovery(deps.sageMaker, deploymentEnv(env), task, deps.log);
    }
  };
}

const log = createLogger('deployment');

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (
  c: { sageMaker: SageMakerClient; cloudWatch: CloudWatchClient; s3: S3Client; sfn: SFNClient; eventBridge: EventBridgeClient },
  env: NodeJS.ProcessEnv = process.env,
) =>
  createHandler(
    {
      sageMaker: sageMakerReader(c.sageMaker),
      metrics: cloudWatchMetrics(c.cloudWatch),
      store: new S3ObjectStore(c.s3),
      running: sfnRunning(c.sfn),
      announce: bestEffort(envAnnouncer(c.eventBridge, env), log),
      log,
    },
    env,
  );

export const handler = handlerWith({
  sageMaker: traced(new SageMakerClient({})),
  cloudWatch: traced(new CloudWatchClient({})),
  s3: traced(new S3Client({})),
  sfn: traced(new SFNClient({})),
  eventBridge: traced(new EventBridgeClient({})),
});
