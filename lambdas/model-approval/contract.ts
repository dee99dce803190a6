import * as z from 'zod';
import { notifyEnvShape } from '../notify/contract';
import { envText } from '../shared/env';

/** The approval function's environment, set by its construct from these keys. */
export const approvalEnv = z.object({ ...notifyEnvShape, STATE_MACHINE_ARN: envText() });
