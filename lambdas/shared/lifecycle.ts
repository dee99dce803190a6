// A namespace import lets esbuild tree-shake zod (see the schema modules).
import * as z from 'zod';
import { comparisonSchema } from '../notify/deployment-schema';
import { notificationSchema } from '../notify/schema';
import { envText } from './env';

/**
 * The platform's lifecycle events: one EventBridge event per fact, on the stage's bus, `source`
 * `mlops.<project>`, one detail-type per kind of fact. Every detail carries the envelope (schema
 * version, project, stage, pipeline, console links) and the fact's own fields. E-mails are one
 * subscriber: the notify function formats the e-mailed kinds from the event (README "Lifecycle events").
 */
export const LIFECYCLE_SCHEMA_VERSION = '1';

/** What every function that announces facts needs: the names an event carries, and the bus. */
export const lifecycleEnvShape = {
  PROJECT: envText(),
  STAGE: envText(),
  PIPELINE_NAME: envText(),
  MODEL_PACKAGE_GROUP: envText(),
  EVENT_BUS_NAME: envText(),
};
export const lifecycleEnv = z.object(lifecycleEnvShape);

export const lifecycleSource = (project: string): string => `mlops.${project}`;

const runArn = z.string().min(1);

/** Facts that are announced as events only (no e-mail): what teams wire their own reactions to. */
const eventOnlyFacts = [
  z.object({
    kind: z.literal('dataset-accepted'),
    executionArn: runArn,
    datasetUri: z.string(),
    datasetId: z.string(),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    /** SHA-256 over every key, version id and ETag of the accepted files. */
    sha256: z.string(),
  }),
  z.object({
    kind: z.literal('deployment-started'),
    executionArn: runArn,
    modelPackageArn: z.string().min(1),
    endpointName: z.string().min(1),
    /** create: a first endpoint; shadow: a shadow test before promotion; replace: no shadow test (serverless). */
    mode: z.enum(['create', 'shadow', 'replace']),
  }),
  z.object({
    kind: z.literal('shadow-verdict'),
    executionArn: runArn,
    modelPackageArn: z.string().min(1),
    endpointName: z.string().min(1),
    comparison: comparisonSchema,
  }),
  z.object({
    kind: z.literal('drift-detected'),
    executionArn: runArn,
    endpointName: z.string().min(1),
    modelPackageArn: z.string().min(1).optional(),
    driftedFeatures: z.number().int().positive(),
    /** The drifted features, at most ten. */
    features: z.array(z.string()).max(10),
    psiThreshold: z.number(),
  }),
  z.object({
    kind: z.literal('retraining-started'),
    trigger: z.enum(['drift', 'schedule']),
    /** The training run it started. */
    executionArn: runArn,
    datasetUri: z.string(),
  }),
] as const;

/** Every kind of fact the platform announces: the e-mailed ones and the events-only ones. */
const FACTS = [...notificationSchema.options, ...eventOnlyFacts] as const;

/** Every fact the platform announces. */
export const factSchema = z.discriminatedUnion('kind', FACTS);
export type Fact = z.infer<typeof factSchema>;
export type FactInput = z.input<typeof factSchema>;

/** One detail-type per kind of fact: the catalogue (README "Lifecycle events"). */
export const DETAIL_TYPES = {
  'dataset-accepted': 'Dataset Accepted',
  'data-rejected': 'Dataset Rejected',
  'dataset-already-trained': 'Dataset Already Trained',
  'dataset-late-files': 'Dataset Late Files',
  failed: 'Workflow Failed',
  'gate-failed': 'Quality Gate Failed',
  'model-registered': 'Model Registered',
  'model-rejected': 'Model Rejected',
  'model-promoted': 'Model Promoted',
  'promotion-failed': 'Model Promotion Failed',
  'deployment-waiting': 'Deployment Waiting',
  'deployment-started': 'Deployment Started',
  'shadow-verdict': 'Shadow Verdict',
  deployed: 'Model Live',
  'rolled-back': 'Model Rolled Back',
  'deployment-failed': 'Deployment Failed',
  'drift-detected': 'Drift Detected',
  'retraining-started': 'Retraining Started',
  'retraining-skipped': 'Retraining Skipped',
} as const satisfies Record<Fact['kind'], string>;

/** The kinds that are e-mailed too (the notify function subscribes to them). */
export const EMAILED_KINDS = notificationSchema.options.map((o) => o.shape.kind.value);

const links = z.object({
  /** The Step Functions console page of the run the fact is about. */
  execution: z.string().optional(),
  /** The model package group in the SageMaker console. */
  modelRegistry: z.string(),
});

/** The fields every event's detail carries besides the fact's own. */
export const envelopeShape = {
  schemaVersion: z.literal(LIFECYCLE_SCHEMA_VERSION),
  project: z.string(),
  stage: z.string(),
  pipeline: z.string(),
  modelPackageGroup: z.string(),
  /** The version of `modelPackageArn`, when the fact names a model package. */
  modelPackageVersion: z.number().int().positive().optional(),
  links,
  /** Set when long lists or texts were cut to fit EventBridge's 256 KB entry (the execution has everything). */
  truncated: z.boolean().optional(),
};

/** The detail schema of one detail-type: the envelope and the fact (what the schema registry publishes). */
export const detailSchemas = FACTS.map((fact) => ({
  kind: fact.shape.kind.value as Fact['kind'],
  detailType: DETAIL_TYPES[fact.shape.kind.value as Fact['kind']],
  schema: fact.extend(envelopeShape),
}));

/** The names a detail carries, from the announcing function's environment. */
export interface LifecycleContext {
  readonly project: string;
  readonly stage: string;
  readonly pipeline: string;
  readonly region: string;
  readonly modelPackageGroup: string;
  readonly eventBus: string;
}

const console_ = (region: string) => `https://${region}.console.aws.amazon.com`;
export const executionLink = (region: string, executionArn: string) =>
  `${console_(region)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
export const registryLink = (region: string, group: string) => `${console_(region)}/sagemaker/home?region=${region}#/model-registry/${group}`;

/** A model package ARN's version (`…:model-package/<group>/<version>`). */
function packageVersion(arn: unknown): number | undefined {
  const m = typeof arn === 'string' ? /:model-package\/[^/]+\/(\d+)$/.exec(arn) : null;
  return m ? Number(m[1]) : undefined;
}

/** The detail of a fact's event: the fact, validated, with its envelope. */
export function factDetail(input: FactInput, ctx: LifecycleContext): Record<string, unknown> {
  const fact = factSchema.parse(input);
  const version = packageVersion((fact as { modelPackageArn?: unknown }).modelPackageArn);
  return {
    ...fact,
    schemaVersion: LIFECYCLE_SCHEMA_VERSION,
    project: ctx.project,
    stage: ctx.stage,
    pipeline: ctx.pipeline,
    modelPackageGroup: ctx.modelPackageGroup,
    ...(version !== undefined ? { modelPackageVersion: version } : {}),
    links: {
      ...(fact.executionArn ? { execution: executionLink(ctx.region, fact.executionArn) } : {}),
      modelRegistry: registryLink(ctx.region, ctx.modelPackageGroup),
    },
  };
}
