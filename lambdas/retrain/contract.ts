import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envNumber, envText } from '../shared/env';

/** The retrain function's environment, set by its construct from these keys. */
export const retrainEnv = z.object({
  ...lifecycleEnvShape,
  STATE_MACHINE_ARN: envText(),
  LATEST_DATASET_PARAMETER: envText(),
  COOLDOWN_HOURS: envNumber(),
  /** The drift alarm by ARN: names repeat across accounts and regions, ARNs do not. */
  DRIFT_ALARM_ARN: envText(),
});
