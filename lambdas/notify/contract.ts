import * as z from 'zod';
import { envText } from '../shared/env';

/** What every function that e-mails needs: the topic and the names a message shows. */
export const notifyEnvShape = {
  PROJECT: envText(),
  STAGE: envText(),
  PIPELINE_NAME: envText(),
  MODEL_PACKAGE_GROUP: envText(),
  TOPIC_ARN: envText(),
};

/** The notify function's environment, set by its construct from these keys. */
export const notifyEnv = z.object(notifyEnvShape);
