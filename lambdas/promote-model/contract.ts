import * as z from 'zod';
import { envJson, envText } from '../shared/env';
import { lifecycleEnvShape } from '../shared/lifecycle';

/** The promotion function's environment (a stage with `promoteFrom`), set by its construct from these keys. */
export const promoteEnv = z.object({
  ...lifecycleEnvShape,
  /** The stage whose live models this pipeline registers, its account, and its artifacts bucket. */
  SOURCE_STAGE: envText(),
  SOURCE_ACCOUNT: envText(),
  SOURCE_BUCKET: envText(),
  /** The source stage's model package group of this pipeline (`<project>-<source stage>-<pipeline>`). */
  SOURCE_GROUP: envText(),
  ARTIFACTS_BUCKET: envText(),
  APPROVAL_STATUS: z.enum(['PendingManualApproval', 'Approved']),
  /** Tags of the packages it registers (the pipeline's). */
  TAGS: envJson(z.array(z.object({ Key: z.string(), Value: z.string() }))),
});
export type PromoteEnv = z.infer<typeof promoteEnv>;
