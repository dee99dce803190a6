// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** The deployment workflow's Lambda tasks, one schema per action. */
export const deploymentTaskSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('turn'),
    stateMachineArn: z.string().min(1),
    executionArn: z.string().min(1),
    startTime: z.string().min(1),
    attempt: z.number().int().min(0),
  }),
  z.object({
    action: z.literal('plan'),
    modelPackageArn: z.string().regex(/:model-package\//, 'expected a model package ARN'),
    executionName: z.string().min(1),
    /** The deployment's execution, for the Deployment Started event. */
    executionArn: z.string().min(1),
  }),
  z.object({
    action: z.literal('compare'),
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    /** The package under test and the deployment's execution, for the Shadow Verdict event. */
    modelPackageArn: z.string().regex(/:model-package\//, 'expected a model package ARN'),
    executionArn: z.string().min(1),
  }),
  z.object({
    action: z.literal('recover'),
    /** What production served, and with which config, when the deployment began. */
    currentModelName: z.string().min(1),
    currentConfigName: z.string().min(1),
  }),
]);

const variantSettingsSchema = z.object({
  instanceType: z.string(),
  instanceCount: z.number().int(),
  serverless: z.object({ memorySizeMb: z.number(), maxConcurrency: z.number() }).optional(),
  shadowSamplingPercent: z.number(),
});
const rulesSchema = z.object({
  minInvocations: z.number(),
  onInsufficientData: z.enum(['rollback', 'promote']),
  maxErrorRateIncrease: z.number(),
  maxLatencyIncreasePercent: z.number(),
  minAgreement: z.number().optional(),
  minAgreementPairs: z.number(),
});
/** The JSON the stack puts in DEPLOYMENT_SETTINGS (parsed by the contract, once while the environment stays the same). */
export const settingsEnvSchema = z.object({ variant: variantSettingsSchema, rules: rulesSchema, agreementTolerance: z.number() });
