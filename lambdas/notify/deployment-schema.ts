import * as z from 'zod';

const pkg = { modelPackageArn: z.string().min(1), executionArn: z.string().min(1), datasetUri: z.string().optional() };
const variant = z.object({ invocations: z.number().nullable(), errorRate: z.number().nullable(), p99LatencyMs: z.number().nullable() });
/** The shadow comparison as the deployment Lambda returns it (the fields a message shows). */
export const comparisonSchema = z.object({
  decision: z.enum(['promote', 'rollback']),
  basis: z.enum(['evidence', 'insufficient']),
  reasons: z.array(z.string()),
  production: variant,
  shadow: variant,
  agreementRate: z.number().nullable(),
  agreementPairs: z.number(),
});
export type ComparisonSummary = z.infer<typeof comparisonSchema>;
/** The comparison, or why there was none (a serverless endpoint has no shadow test). */
const comparisonOrSkipped = z.union([comparisonSchema, z.object({ skipped: z.string() })]).optional();

/** What the approval gate and the deployment workflow report. */
export const deploymentNotificationSchemas = [
  z.object({
    kind: z.literal('model-rejected'),
    modelPackageArn: z.string().min(1),
    executionArn: z.string().optional(),
    datasetUri: z.string().optional(),
    by: z.string().optional(),
    reason: z.string().optional(),
  }),
  z.object({ kind: z.literal('deployment-waiting'), ...pkg, blockedBy: z.string().min(1) }),
  z.object({
    kind: z.literal('model-promoted'),
    /** The package registered in this stage. */
    modelPackageArn: z.string().min(1),
    approvalStatus: z.enum(['PendingManualApproval', 'Approved']),
    /** The package that went live in the source stage, and its stage. */
    sourcePackageArn: z.string().min(1),
    sourceStage: z.string().min(1),
    /** The training run that made it, in the source stage. */
    sourceExecutionArn: z.string().optional(),
    /** The artifact's SHA-256, as the source's evaluation recorded it and as the copy here was checked to have. */
    modelSha256: z.string(),
    executionArn: z.string().optional(),
    datasetUri: z.string().optional(),
  }),
  z.object({
    kind: z.literal('promotion-failed'),
    /** The package that went live in the source stage, and its stage. */
    sourcePackageArn: z.string().min(1),
    sourceStage: z.string().min(1),
    /** Why this stage refused it: the error's name and message. */
    error: z.string().min(1),
    cause: z.string(),
    executionArn: z.string().optional(),
    datasetUri: z.string().optional(),
  }),
  z.object({
    kind: z.literal('deployed'),
    ...pkg,
    endpointName: z.string().min(1),
    how: z.enum(['created', 'promoted', 'replaced']),
    comparison: comparisonOrSkipped,
    /** The version production served before, and whether this deployment went back to an earlier one. */
    replaces: z.object({ version: z.string(), earlier: z.boolean() }).nullable().optional(),
  }),
  z.object({ kind: z.literal('rolled-back'), ...pkg, endpointName: z.string().min(1), reasons: z.array(z.string()), comparison: comparisonOrSkipped }),
  z.object({
    kind: z.literal('retraining-skipped'),
    trigger: z.enum(['drift', 'schedule']),
    reason: z.string(),
    executionArn: z.string().optional(),
    datasetUri: z.string().optional(),
  }),
  z.object({
    kind: z.literal('deployment-failed'),
    ...pkg,
    modelPackageArn: z.string().optional(),
    error: z.string().default('Unknown'),
    cause: z.string().default(''),
    /** What a failure after the first endpoint change left: production restored, checked, or the recovery failed too. Absent: it failed before. */
    recovery: z
      .object({
        outcome: z.enum(['restored', 'checked', 'failed']),
        endpoint: z.string(),
        previousModel: z.string(),
        /** The production-only config the deployment began with (it exists: a manual restore can use it). */
        previousConfig: z.string(),
        restoreConfig: z.string(),
        scaled: z.boolean().default(true),
        changed: z.boolean().optional(),
        serving: z.array(z.string()).optional(),
        error: z.string().optional(),
        cause: z.string().optional(),
        /** Set when the failure came while rolling back a model that failed its shadow test or its promotion's alarms. */
        rollbackReasons: z.array(z.string()).default([]),
      })
      .optional(),
    /** A first deployment that failed after CreateEndpoint: the endpoint it created, and whether the workflow deleted it. */
    created: z
      .object({
        endpoint: z.string(),
        deleted: z.boolean(),
        error: z.string().optional(),
        cause: z.string().optional(),
      })
      .optional(),
  }),
] as const;
