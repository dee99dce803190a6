import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envJson, envText } from '../shared/env';

/** The dataset trigger's environment, set by its construct from these keys (it announces a re-upload, so it has the lifecycle variables). */
export const triggerEnv = z.object({
  ...lifecycleEnvShape,
  LANDING_BUCKET: envText(),
  ARTIFACTS_BUCKET: envText(),
  STATE_MACHINE_ARN: envText(),
  /** dataset.ignore: tools' by-products, which are never reported as late files. */
  IGNORE: envJson(z.array(z.string().min(1))),
});
