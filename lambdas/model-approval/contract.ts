import * as z from 'zod';
import { lifecycleEnvShape } from '../shared/lifecycle';
import { envText } from '../shared/env';

/** The approval function's environment, set by its construct from these keys. */
export const approvalEnv = z.object({ ...lifecycleEnvShape, STATE_MACHINE_ARN: envText() });
