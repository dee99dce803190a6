import * as z from 'zod';
import { envBoolean, envNumber, envText } from '../shared/env';

/** The quality gate's environment, set by its construct from these keys. */
export const gateEnv = z.object({
  METRIC: envText(),
  THRESHOLD: envNumber(),
  DIRECTION: z.enum(['maximize', 'minimize']),
  MUST_BEAT_CHAMPION: envBoolean(),
  MODEL_PACKAGE_GROUP: envText(),
});
