import { traced } from '../shared/tracing';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { envReader } from '../shared/env';
import { gateEnv } from './contract';
import { parseInput } from '../shared/errors';
import { createLogger, logInvocation } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { S3ObjectStore } from '../shared/s3-object-store';
import { metricMetadataKey, runGate, type ChampionSource, type GateDecision } from './logic';
import { gateTaskSchema, type GateRule } from './schema';
import type { Context } from 'aws-lambda';

const log = createLogger('quality-gate');

/** The latest Approved package of a group, with the metric it recorded at registration. */
export function sageMakerChampions(client: SageMakerClient): ChampionSource {
  return {
    async latestApproved(group, metric) {
      const list = await client.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: group,
          ModelApprovalStatus: 'Approved',
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 1,
        }),
      );
      const arn = list.ModelPackageSummaryList?.[0]?.ModelPackageArn;
      if (arn === undefined) return undefined;
      const pkg = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
      const raw = pkg.CustomerMetadataProperties?.[metricMetadataKey(metric)];
      const value = raw === undefined ? undefined : Number(raw);
      return { modelPackageArn: arn, ...(value !== undefined && Number.isFinite(value) ? { value } : {}) };
    },
  };
}

const readEnv = envReader(gateEnv);

export function ruleFromEnv(env: NodeJS.ProcessEnv = process.env): GateRule {
  const e = readEnv(env);
  return { metric: e.METRIC, threshold: e.THRESHOLD, direction: e.DIRECTION, mustBeatChampion: e.MUST_BEAT_CHAMPION, modelPackageGroup: e.MODEL_PACKAGE_GROUP };
}

/** The handler over any object store, model registry and environment. */
export function createHandler(store: ObjectStore, champions: ChampionSource, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<GateDecision> => {
    logInvocation(log, context);
    const task = parseInput(gateTaskSchema, event, 'bad gate input');
    return runGate(task.evaluationReport, { store, champions, rule: ruleFromEnv(env), log });
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { s3: S3Client; sageMaker: SageMakerClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler(new S3ObjectStore(c.s3), sageMakerChampions(c.sageMaker), env);

export const handler = handlerWith({ s3: traced(new S3Client({})), sageMaker: traced(new SageMakerClient({})) });
