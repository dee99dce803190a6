import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envJson, envNumber, envText } from '../shared/env';
import { settingsEnvSchema } from './schema';

/** The deployment function's environment, set by its construct from these keys. */
export const deploymentEnvSchema = z.object({
  ...lifecycleEnvShape,
  RESOURCE_PREFIX: envText(),
  ENDPOINT_NAME: envText(),
  MODEL_PACKAGE_GROUP: envText(),
  PROBLEM_TYPE: z.enum(['binary_classification', 'multiclass_classification', 'regression']),
  CAPTURE_BUCKET: envText(),
  CAPTURE_PREFIX: envText(),
  MAX_TURN_ATTEMPTS: envNumber(),
  DEPLOYMENT_SETTINGS: envJson(settingsEnvSchema),
});
