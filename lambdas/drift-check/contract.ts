import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envNumber, envText } from '../shared/env';

/** The drift-check function's environment, set by its construct from these keys. */
export const driftCheckEnv = z.object({
  ...lifecycleEnvShape,
  RESOURCE_PREFIX: envText(),
  PIPELINE_NAME: envText(),
  ENDPOINT_NAME: envText(),
  ARTIFACTS_BUCKET: envText(),
  CAPTURE_BUCKET: envText(),
  CAPTURE_PREFIX: envText(),
  WINDOW_HOURS: envNumber(),
});
