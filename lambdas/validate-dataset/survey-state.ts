// A namespace import lets esbuild tree-shake zod (see the schema modules).
import * as z from 'zod';

/**
 * What the workflow carries between two looks at a drop (`$.settle`): set by {@link surveyDrop},
 * empty before the first.
 */
export const settleStateSchema = z.object({
  /** Object count, bytes and newest modification of the dataset folder (by-products included). */
  fingerprint: z.string().optional(),
  /** Seconds the folder has not changed, as far as the surveys know. */
  quietSeconds: z.number().nonnegative().default(0),
  /** Seconds waited so far, the sum of the Wait states this survey asked for. */
  waitedSeconds: z.number().nonnegative().default(0),
  /** The Wait the last survey asked for (the workflow's next Wait state). */
  waitSeconds: z.number().nonnegative().default(0),
});
export type SettleState = z.infer<typeof settleStateSchema>;

/** Surveys a drop may take at most (so an execution stays far below Step Functions' 25,000 history events). */
export const MAX_SURVEYS = 500;
/** The shortest Wait between two surveys. */
const MIN_POLL_SECONDS = 10;

/** The shortest Wait between surveys for `maxWaitSeconds`: at most {@link MAX_SURVEYS} surveys fit in the maximum wait. */
export function pollSeconds(maxWaitSeconds: number): number {
  return Math.max(MIN_POLL_SECONDS, Math.ceil(maxWaitSeconds / MAX_SURVEYS));
}
