import * as z from 'zod';
import { notifyEnvShape } from '../notify/contract';
import { envText } from '../shared/env';

/** The dataset trigger's environment, set by its construct from these keys (it e-mails a re-upload, so it has the notify variables). */
export const triggerEnv = z.object({ ...notifyEnvShape, LANDING_BUCKET: envText(), ARTIFACTS_BUCKET: envText(), STATE_MACHINE_ARN: envText() });
