import { S3Client } from '@aws-sdk/client-s3';
import { requireEnv, requireNumberEnv } from '../shared/env';
import { InvalidInputError, MisconfiguredError, parseInput } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { workflowInputProblems } from '../shared/run';
import { S3ObjectStore } from '../shared/s3-object-store';
import { validateDataset, type ValidationResult } from './logic';
import { validateTaskSchema, type DatasetRules } from './schema';

const log = createLogger('validate-dataset');

/** Dataset rules from the environment the construct sets from config. */
export function rulesFromEnv(env: NodeJS.ProcessEnv = process.env): DatasetRules {
  const columns: unknown = JSON.parse(requireEnv('COLUMNS', env));
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) throw new MisconfiguredError('COLUMNS must be a JSON array of strings');
  return {
    columns,
    label: requireEnv('LABEL', env),
    minRows: requireNumberEnv('MIN_ROWS', env),
    maxBytes: requireNumberEnv('MAX_BYTES', env),
    maxObjects: requireNumberEnv('MAX_OBJECTS', env),
    headBytes: requireNumberEnv('HEAD_BYTES', env),
  };
}

/** The handler over any object store and environment (the offline workflow runs use this). */
export function createHandler(store: ObjectStore, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown): Promise<ValidationResult> => {
    const task = parseInput(validateTaskSchema, event, 'bad workflow input');
    const problems = workflowInputProblems(task.input, { pipeline: requireEnv('PIPELINE_NAME', env), bucket: requireEnv('LANDING_BUCKET', env) });
    if (problems.length > 0) throw new InvalidInputError(`bad workflow input: ${problems.join('; ')}`);
    return validateDataset(task, {
      store,
      rules: rulesFromEnv(env),
      artifactsBucket: requireEnv('ARTIFACTS_BUCKET', env),
      resourcePrefix: requireEnv('RESOURCE_PREFIX', env),
      quarantinePrefix: requireEnv('QUARANTINE_PREFIX', env),
      log,
    });
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { s3: S3Client }, env: NodeJS.ProcessEnv = process.env) => createHandler(new S3ObjectStore(c.s3), env);

export const handler = handlerWith({ s3: new S3Client({}) });
