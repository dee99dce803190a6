// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';
import { deploymentNotificationSchemas } from './deployment-schema';

const common = {
  executionArn: z.string().min(1),
  datasetUri: z.string().optional(),
};

/** What the training workflow reports at each of its ends. */
export const notificationSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('model-registered'),
    ...common,
    modelPackageArn: z.string().min(1),
    approvalStatus: z.enum(['PendingManualApproval', 'Approved']),
    metric: z.string(),
    value: z.number(),
    reasons: z.array(z.string()).default([]),
  }),
  z.object({
    kind: z.literal('gate-failed'),
    ...common,
    metric: z.string(),
    value: z.number(),
    threshold: z.number(),
    reasons: z.array(z.string()),
  }),
  z.object({
    kind: z.literal('data-rejected'),
    ...common,
    reasons: z.array(z.string()),
    quarantineUri: z.string(),
  }),
  z.object({
    kind: z.literal('dataset-already-trained'),
    /** The earlier run of the dataset. */
    executionArn: z.string().min(1),
    datasetUri: z.string(),
    datasetId: z.string(),
    /** A file that arrived after the run. */
    key: z.string(),
  }),
  z.object({
    kind: z.literal('dataset-late-files'),
    /** The run that listed the dataset without these files. */
    executionArn: z.string().min(1),
    datasetUri: z.string(),
    datasetId: z.string(),
    lateKeys: z.array(z.string()).min(1),
    lateCount: z.number().int().positive(),
  }),
  z.object({
    kind: z.literal('failed'),
    ...common,
    /** What failed, for the subject. */
    workflow: z.string().default('training run'),
    error: z.string().default('Unknown'),
    cause: z.string().default(''),
  }),
  ...deploymentNotificationSchemas,
]);
export type Notification = z.infer<typeof notificationSchema>;
