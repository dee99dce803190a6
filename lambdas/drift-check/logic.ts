import { captureKeys } from '../shared/capture-layout';
import { PlatformError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { type ObjectStore, parseS3Uri, s3Uri } from '../shared/object-store';
import { runId } from '../shared/run';
import { driftReportSchema } from './schema';
import { monitoringRoot, PRODUCTION_VARIANT } from '../shared/names';

/** The drift report is missing or not what ml/drift.py writes. */
export class DriftReportError extends PlatformError {}

/** The SageMaker reads that lead from the endpoint to the live model's training baseline. */
export interface LiveModelReader {
  /** The `primary` variant's model, or why there is none to check. */
  liveModel(endpoint: string): Promise<{ modelName: string } | { none: string }>;
  /** The model package a model was created from (CreateModel with ModelPackageName), if any. */
  modelPackageOf(modelName: string): Promise<string | undefined>;
  /** The package's `lineage` metadata (s3://…/runs/<run>/input/lineage.json). */
  lineageOf(modelPackageArn: string): Promise<string | undefined>;
}

export interface DriftEnv {
  readonly prefix: string;
  readonly pipeline: string;
  readonly endpointName: string;
  readonly artifactsBucket: string;
  readonly captureBucket: string;
  /** `<pipeline>/datacapture` */
  readonly capturePrefix: string;
  readonly windowHours: number;
}

export type Preparation =
  | { readonly skip: true; readonly reason: string }
  | {
      readonly skip: false;
      readonly checkId: string;
      readonly jobName: string;
      readonly modelPackageArn: string;
      readonly baselineUri: string;
      readonly captureManifestUri: string;
      readonly outputUri: string;
      readonly captureFiles: number;
    };

/** `s3://<artifacts>/<pipeline>/runs/<run>/input/lineage.json` → that run's baseline prefix. */
export function baselineFromLineage(lineage: string, env: Pick<DriftEnv, 'artifactsBucket' | 'pipeline'>): string | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)\/runs\/([^/]+)\/input\/lineage\.json$/.exec(lineage);
  if (!m || m[1] !== env.artifactsBucket || m[2] !== env.pipeline) return undefined;
  return `s3://${m[1]}/${m[2]}/runs/${m[3]}/data/baseline/`;
}

/**
 * Finds what to compare: the live model's baseline and the production variant's capture files
 * of the last `windowHours`, listed in a manifest for the processing job. Skips (no job, no
 * metric) when there is no endpoint, no packaged model, no baseline or no traffic.
 */
export async function prepare(
  sm: LiveModelReader,
  store: ObjectStore,
  env: DriftEnv,
  input: { executionArn: string; startTime: string },
  log: Logger,
  maxFiles = 1000,
): Promise<Preparation> {
  const skip = (reason: string): Preparation => {
    log.info('drift check skipped', { reason });
    return { skip: true, reason };
  };
  const live = await sm.liveModel(env.endpointName);
  if ('none' in live) return skip(live.none);
  const pkg = await sm.modelPackageOf(live.modelName);
  if (!pkg) return skip(`model ${live.modelName} was not created from a model package`);
  const lineage = await sm.lineageOf(pkg);
  const baselineUri = lineage ? baselineFromLineage(lineage, env) : undefined;
  if (!baselineUri) return skip(`model package ${pkg} has no lineage of this pipeline's runs, so no baseline`);
  const { bucket, key } = parseS3Uri(baselineUri);
  if (!(await store.exists(bucket, `${key}baseline.csv`))) return skip(`the baseline ${baselineUri}baseline.csv is missing`);

  const end = new Date(input.startTime);
  const start = new Date(end.getTime() - env.windowHours * 3_600_000);
  const keys = await captureKeys(
    store,
    { bucket: env.captureBucket, prefix: env.capturePrefix, endpoint: env.endpointName },
    PRODUCTION_VARIANT,
    start,
    end,
    maxFiles,
  );
  if (keys.length === 0) return skip(`no captured traffic on ${env.endpointName} in the last ${env.windowHours} h`);

  const checkId = runId(input.executionArn, input.startTime);
  const base = `${monitoringRoot(env.pipeline)}/${checkId}`;
  const manifest = [{ prefix: `s3://${env.captureBucket}/` }, ...keys];
  await store.putText({ bucket: env.artifactsBucket, key: `${base}/capture.manifest` }, JSON.stringify(manifest), 'application/json');
  log.info('drift check prepared', { checkId, modelPackageArn: pkg, captureFiles: keys.length });
  return {
    skip: false,
    checkId,
    jobName: `${env.prefix}--${checkId}-drift`,
    modelPackageArn: pkg,
    baselineUri,
    captureManifestUri: s3Uri(env.artifactsBucket, `${base}/capture.manifest`),
    outputUri: s3Uri(env.artifactsBucket, `${base}/drift/`),
    captureFiles: keys.length,
  };
}

/** Reads drift.json; the number of drifted features is the metric (none when there was too little traffic). */
export async function readReport(store: ObjectStore, outputUri: string) {
  const { bucket, key } = parseS3Uri(outputUri);
  let text: string;
  try {
    text = await store.readText({ bucket, key: `${key}drift.json` });
  } catch (e) {
    throw new DriftReportError(`no drift report at ${outputUri}drift.json: ${(e as Error).message}`);
  }
  const parsed = driftReportSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new DriftReportError(`drift report ${outputUri}drift.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
