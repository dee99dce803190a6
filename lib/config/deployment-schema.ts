import { instanceTypeField } from './instance-types';
import * as z from 'zod';

/** Memory sizes a serverless variant accepts (ProductionVariantServerlessConfig.MemorySizeInMB). */
const SERVERLESS_MEMORY_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];

/**
 * How an approved model reaches its endpoint: the production variant, the shadow test, the
 * evidence needed to promote, the blue/green guardrails, auto-scaling and clean-up.
 */
export const deploymentSchema = z
  .strictObject({
    /** Instance-based production variant. Ignored when `serverless` is set. */
    instanceType: instanceTypeField('hosting', 'ml.m5.large'),
    instanceCount: z.number().int().min(1).max(100).default(1),
    /**
     * A serverless variant instead of instances. SageMaker supports neither shadow variants nor
     * data capture on serverless endpoints: each approval then replaces the model directly,
     * still with blue/green and auto-rollback alarms.
     */
    serverless: z
      .strictObject({
        memorySizeMb: z
          .number()
          .refine((m) => SERVERLESS_MEMORY_MB.includes(m), { message: `expected one of ${SERVERLESS_MEMORY_MB.join(', ')}` })
          .default(2048),
        maxConcurrency: z.number().int().min(1).max(200).default(5),
      })
      .optional(),
    /** Share of requests (and responses) written to the capture bucket. */
    dataCaptureSamplingPercent: z.number().int().min(1).max(100).default(100),
    shadow: z
      .strictObject({
        /** How long the shadow variant receives mirrored traffic before the comparison. */
        windowMinutes: z
          .number()
          .int()
          .min(5)
          .max(7 * 24 * 60)
          .default(60),
        /** Share of production requests mirrored to the shadow variant. */
        samplingPercent: z.number().int().min(1).max(100).default(100),
      })
      .prefault({}),
    promotion: z
      .strictObject({
        /** Fewer shadow invocations than this in the window means "not enough evidence". */
        minInvocations: z.number().int().min(1).default(100),
        /** What to do without enough evidence (no traffic, or metrics missing). */
        onInsufficientData: z.enum(['rollback', 'promote']).default('rollback'),
        /** Shadow error rate may exceed production's by at most this much (0.01 = one point). */
        maxErrorRateIncrease: z.number().min(0).max(1).default(0.01),
        /** Shadow p99 model latency may exceed production's by at most this percentage. */
        maxLatencyIncreasePercent: z.number().min(0).max(1000).default(20),
        /** Share of mirrored requests on which both models must agree (from data capture); `null` turns the check off. */
        minAgreement: z.number().min(0).max(1).nullable().default(0.95),
        /** Regression only: predictions agree when within this relative difference. */
        agreementTolerance: z.number().min(0).max(10).default(0.05),
        /** Minutes the blue/green deployment watches the alarms before it terminates the old fleet. */
        bakeMinutes: z.number().int().min(0).max(60).default(10),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        /** 5XX errors of the production variant per minute that trigger auto-rollback. */
        max5xxPerMinute: z.number().int().min(1).default(5),
        /** p99 model latency of the production variant, in milliseconds, that triggers auto-rollback. */
        maxP99LatencyMs: z.number().min(1).default(1000),
      })
      .prefault({}),
    autoScaling: z
      .strictObject({
        enabled: z.boolean().default(true),
        maxInstances: z.number().int().min(1).max(100).default(4),
        /** Target-tracking value for SageMakerVariantInvocationsPerInstance (per minute). */
        targetInvocationsPerInstance: z.number().int().min(1).default(1000),
      })
      .prefault({}),
    /** Keep runtime-created endpoints, endpoint configs and models when the pipeline stack is deleted. */
    retainOnDelete: z.boolean().default(false),
  })
  .superRefine((d, ctx) => {
    if (!d.serverless && d.autoScaling.enabled && d.autoScaling.maxInstances < d.instanceCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoScaling', 'maxInstances'],
        message: `expected at least instanceCount (${d.instanceCount})`,
        params: { defaulted: true },
      });
    }
  });

export type DeploymentConfig = z.output<typeof deploymentSchema>;
