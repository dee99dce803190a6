// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';
import { workflowInputSchema } from '../shared/run';
import { settleStateSchema } from './survey-state';

/** Task input from the workflow: the execution input plus the execution's identity. */
export const validateTaskSchema = z.object({
  input: workflowInputSchema,
  executionArn: z.string().min(1),
  startTime: z.string().min(1),
  /** `survey`: one look at whether the drop is complete (the workflow's settle loop); `validate` (default): check and plan the run. */
  action: z.enum(['survey', 'validate']).default('validate'),
  /** The settle loop's state, for `survey`. */
  settle: settleStateSchema.prefault({}),
});
export type ValidateTask = z.input<typeof validateTaskSchema>;

export interface DatasetRules {
  readonly columns: readonly string[];
  readonly label: string;
  readonly minRows: number;
  readonly maxBytes: number;
  readonly maxObjects: number;
  /** Bytes read from the start of each file. */
  readonly headBytes: number;
  /** File-name patterns of tools' by-products (`_SUCCESS`, `*.crc`, …): left out of the dataset, named in its lineage. */
  readonly ignore: readonly string[];
}
