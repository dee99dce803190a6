import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { bestEffort, envAnnouncer, type FactPublisher } from '../shared/event-publisher';
import { traced } from '../shared/tracing';
import { S3Client } from '@aws-sdk/client-s3';
import { envReader } from '../shared/env';
import { InvalidInputError, parseInput } from '../shared/errors';
import { createLogger, logInvocation } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { workflowInputProblems } from '../shared/run';
import { S3ObjectStore } from '../shared/s3-object-store';
import { validateEnv } from './contract';
import { validateDataset, type ValidationResult } from './logic';
import { type SurveyResult, surveyDrop } from './survey';
import { validateTaskSchema, type DatasetRules } from './schema';
import type { Context } from 'aws-lambda';

const log = createLogger('validate-dataset');

const readEnv = envReader(validateEnv);

/** Dataset rules from the environment the construct sets from config. */
export function rulesFromEnv(env: NodeJS.ProcessEnv = process.env): DatasetRules {
  const e = readEnv(env);
  return {
    columns: e.COLUMNS,
    label: e.LABEL,
    minRows: e.MIN_ROWS,
    maxBytes: e.MAX_BYTES,
    maxObjects: e.MAX_OBJECTS,
    headBytes: e.HEAD_BYTES,
    ignore: e.IGNORE,
  };
}

/** The handler over any object store and environment (the offline workflow runs use this). */
export function createHandler(store: ObjectStore, announce: FactPublisher, env: NodeJS.ProcessEnv = process.env, now: () => Date = () => new Date()) {
  return async (event: unknown, context?: Context): Promise<ValidationResult | SurveyResult> => {
    logInvocation(log, context);
    const task = parseInput(validateTaskSchema, event, 'bad workflow input');
    const e = readEnv(env);
    const problems = workflowInputProblems(task.input, { pipeline: e.PIPELINE_NAME, bucket: e.LANDING_BUCKET });
    if (problems.length > 0) throw new InvalidInputError(`bad workflow input: ${problems.join('; ')}`);
    const deps = {
      store,
      rules: rulesFromEnv(env),
      artifactsBucket: e.ARTIFACTS_BUCKET,
      resourcePrefix: e.RESOURCE_PREFIX,
      quarantinePrefix: e.QUARANTINE_PREFIX,
      log,
      now,
    };
    if (task.action === 'survey') return surveyDrop(task, task.settle, e.SETTLE, deps);
    const result = await validateDataset(task, deps);
    if (result.accepted)
      await announce({
        kind: 'dataset-accepted',
        executionArn: task.executionArn,
        datasetUri: result.dataset.uri,
        datasetId: task.input.datasetId,
        files: result.dataset.objectCount,
        bytes: result.dataset.totalBytes,
        sha256: result.dataset.sha256,
      });
    return result;
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { s3: S3Client; eventBridge: EventBridgeClient }, env: NodeJS.ProcessEnv = process.env, now?: () => Date) =>
  createHandler(new S3ObjectStore(c.s3), bestEffort(envAnnouncer(c.eventBridge, env), log), env, now);

export const handler = handlerWith({ s3: traced(new S3Client({})), eventBridge: traced(new EventBridgeClient({})) });
