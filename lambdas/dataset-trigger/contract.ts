import * as z from 'zod';
import { envText } from '../shared/env';

/** The dataset trigger's environment, set by its construct from these keys. */
export const triggerEnv = z.object({ PIPELINE_NAME: envText(), LANDING_BUCKET: envText(), STATE_MACHINE_ARN: envText() });
