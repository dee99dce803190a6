import * as z from 'zod';
import { envText } from '../shared/env';
import { lifecycleEnvShape } from '../shared/lifecycle';

/** The notify function's environment: what it announces on (the bus), and the topic it e-mails to. */
export const notifyEnv = z.object({ ...lifecycleEnvShape, TOPIC_ARN: envText() });
