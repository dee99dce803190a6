import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envJson, envNumber, envText } from '../shared/env';

/** The validation function's environment, set by its construct from these keys. */
export const validateEnv = z.object({
  ...lifecycleEnvShape,
  COLUMNS: envJson(z.array(z.string().min(1)).min(1)),
  LABEL: envText(),
  MIN_ROWS: envNumber(),
  MAX_BYTES: envNumber(),
  MAX_OBJECTS: envNumber(),
  HEAD_BYTES: envNumber(),
  IGNORE: envJson(z.array(z.string().min(1))),
  /** When a drop is complete: `{ settleSeconds, maxWaitSeconds, marker? }` (dataset.settleSeconds, maxWaitMinutes, completeWhen). */
  SETTLE: envJson(
    z.object({ settleSeconds: z.number().int().nonnegative(), maxWaitSeconds: z.number().int().positive(), marker: z.string().min(1).optional() }),
  ),
  PIPELINE_NAME: envText(),
  LANDING_BUCKET: envText(),
  ARTIFACTS_BUCKET: envText(),
  RESOURCE_PREFIX: envText(),
  QUARANTINE_PREFIX: envText(),
});
