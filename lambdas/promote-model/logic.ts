import { createHash } from 'node:crypto';
import type { FactPublisher } from '../shared/event-publisher';
import { PlatformError } from '../shared/errors';
import { lifecycleSource } from '../shared/lifecycle';
import type { Logger } from '../shared/logger';
import { type ObjectStore, parseS3Uri, s3Uri } from '../shared/object-store';
import type { PromoteEnv } from './contract';
import type { ModelLiveEvent } from './schema';

/** The source package is not one this stage may promote (Lambda's two async retries fail alike; then the DLQ keeps the event and alarms). */
export class PromotionRefusedError extends PlatformError {}

/** The event is not a Model Live of the source stage, pipeline and group this function promotes: a misrouted or forged event (logged, to the DLQ; not e-mailed). */
export class MisroutedEventError extends PlatformError {}

/** The copy's SHA-256 differs from the one the source's evaluation recorded: nothing is registered. */
export class ArtifactMismatchError extends PlatformError {}

/** What promotion reads of the source package (DescribeModelPackage). */
export interface SourcePackage {
  readonly approvalStatus: string;
  readonly image: string;
  readonly modelDataUrl: string;
  readonly contentTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** What promotion registers here (CreateModelPackage). */
export interface Registration {
  readonly group: string;
  readonly approvalStatus: 'PendingManualApproval' | 'Approved';
  readonly description: string;
  readonly image: string;
  readonly modelDataUrl: string;
  readonly contentTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  /** The same for every delivery of one source package: SageMaker then creates it once. */
  readonly clientToken: string;
  readonly tags: readonly { Key: string; Value: string }[];
}

export interface Registry {
  describe(modelPackageArn: string): Promise<SourcePackage>;
  /** Returns the new package's ARN. */
  register(r: Registration): Promise<string>;
}

export interface PromotionDeps {
  readonly registry: Registry;
  readonly store: ObjectStore;
  readonly announce: FactPublisher;
  readonly log: Logger;
}

export interface Promoted {
  readonly modelPackageArn: string;
  readonly sourcePackageArn: string;
  readonly modelSha256: string;
}

const PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:(\d{12}):model-package\/([^/]+)\/(\d+)$/;

/** Where a promoted model lives here: a run folder named after its origin, so the served model's role and the drift check find it as they find a trained one. */
export const promotedRun = (sourceStage: string, version: number | '*'): string => `from-${sourceStage}-v${version}`;
const promotedRunFolder = (env: PromoteEnv, version: number): string => `${env.PIPELINE_NAME}/runs/${promotedRun(env.SOURCE_STAGE, version)}`;

/** The files of a source run that a promotion reads besides the artifact: its lineage and its drift baseline (the construct grants exactly these). */
export const RUN_FILES = ['input/lineage.json', 'data/baseline/baseline.csv'] as const;

/**
 * Registers here the model that went live in the source stage: the same artifact, copied into this
 * stage's artifacts bucket and checked against the SHA-256 its evaluation recorded, with the
 * source's lineage and baseline (for the drift check), as a new version of this pipeline's group,
 * waiting for this stage's approval. Any delivery of the same event registers it once.
 */
export async function promote(event: ModelLiveEvent, env: PromoteEnv, deps: PromotionDeps): Promise<Promoted> {
  const { detail } = event;
  const sourceArn = detail.modelPackageArn;
  const [, account, group, versionText] = PACKAGE_ARN.exec(sourceArn)!;
  const checks: [string, unknown, string][] = [
    ['source', event.source, lifecycleSource(env.PROJECT)],
    ['stage', detail.stage, env.SOURCE_STAGE],
    ['pipeline', detail.pipeline, env.PIPELINE_NAME],
    ['account', event.account, env.SOURCE_ACCOUNT],
    ["package's account", account, env.SOURCE_ACCOUNT],
    ["package's group", group, env.SOURCE_GROUP],
  ];
  const off = checks.filter(([, got, expected]) => got !== expected).map(([what, got, expected]) => `${what} is ${String(got)}, expected ${expected}`);
  if (off.length > 0) throw new MisroutedEventError(`not a Model Live event this stage promotes (${sourceArn}): ${off.join('; ')}`);
  const version = Number(versionText);
  const run = promotedRunFolder(env, version);
  const marker = { bucket: env.ARTIFACTS_BUCKET, key: `${run}/promoted.json` };
  if (await deps.store.exists(marker.bucket, marker.key)) {
    // Done before (an event replayed from the DLQ, days later): registered and announced once already, whatever the source's package says now.
    const earlier = JSON.parse(await deps.store.readText(marker)) as Promoted;
    deps.log.info('already promoted', { ...earlier });
    return earlier;
  }
  const pkg = await deps.registry.describe(sourceArn);
  if (pkg.approvalStatus !== 'Approved')
    throw new PromotionRefusedError(`${sourceArn} is ${pkg.approvalStatus} in stage ${env.SOURCE_STAGE}: only an approved package that went live is promoted`);
  const sha = pkg.metadata['model-sha256'];
  if (!sha || !/^[0-9a-f]{64}$/.test(sha))
    throw new PromotionRefusedError(
      `${sourceArn} has no model-sha256 (it was registered before the registry recorded artifact hashes): approve a model trained since`,
    );
  const source = parseS3Uri(pkg.modelDataUrl);
  if (source.bucket !== env.SOURCE_BUCKET || !source.key.startsWith(`${env.PIPELINE_NAME}/runs/`) || !source.key.endsWith('/model.tar.gz'))
    throw new PromotionRefusedError(`${sourceArn} serves ${pkg.modelDataUrl}, outside the runs of ${env.PIPELINE_NAME} in ${env.SOURCE_BUCKET}`);

  const size = await deps.store.sizeOf(source.bucket, source.key);
  if (size === undefined) throw new PromotionRefusedError(`${pkg.modelDataUrl}, the artifact of ${sourceArn}, does not exist`);
  // Checked where the served model's role cannot read it (the incoming copy), then copied in place: bad bytes never reach the model's path.
  const incoming = { bucket: env.ARTIFACTS_BUCKET, key: `${run}/incoming/model.tar.gz` };
  await deps.store.copy(source, incoming, size);
  const copied = await deps.store.sha256(incoming, size);
  if (copied !== sha)
    throw new ArtifactMismatchError(
      `the copy of ${pkg.modelDataUrl} has SHA-256 ${copied}, not the ${sha} that the evaluation of ${sourceArn} recorded: the artifact changed after it was evaluated; nothing was registered (the copy stays at ${s3Uri(incoming.bucket, incoming.key)}, which the served model's role cannot read, for inspection)`,
    );
  const model = { bucket: env.ARTIFACTS_BUCKET, key: `${run}/model/${env.MODEL_PACKAGE_GROUP}--promoted/output/model.tar.gz` };
  await deps.store.copy(incoming, model, size);
  const lineage = await copyLineage(pkg.metadata.lineage, run, env, deps.store);

  // The source's lineage URI names the source's bucket, which the drift check here cannot read: replaced by the copy's, or left out.
  const { lineage: _sourceLineage, ...sourceMetadata } = pkg.metadata;
  const metadata = { ...sourceMetadata, ...(lineage ? { lineage } : {}), 'promoted-from': sourceArn, 'source-stage': env.SOURCE_STAGE };
  const modelPackageArn = await deps.registry.register({
    group: env.MODEL_PACKAGE_GROUP,
    approvalStatus: env.APPROVAL_STATUS,
    description: `Promoted from stage ${env.SOURCE_STAGE}: ${sourceArn}`,
    image: pkg.image,
    modelDataUrl: s3Uri(model.bucket, model.key),
    contentTypes: pkg.contentTypes,
    responseTypes: pkg.responseTypes,
    metadata,
    // Per target group and source package: two stages that promote from one source send different tokens.
    clientToken: createHash('sha256').update(`${env.MODEL_PACKAGE_GROUP}\n${sourceArn}`).digest('hex').slice(0, 32),
    tags: env.TAGS,
  });
  deps.log.info('model promoted', { sourcePackageArn: sourceArn, modelPackageArn, modelSha256: sha, bytes: size });
  await deps.announce({
    kind: 'model-promoted',
    modelPackageArn,
    approvalStatus: env.APPROVAL_STATUS,
    sourcePackageArn: sourceArn,
    sourceStage: env.SOURCE_STAGE,
    ...(pkg.metadata.execution ? { sourceExecutionArn: pkg.metadata.execution } : {}),
    modelSha256: sha,
  });
  const promoted: Promoted = { modelPackageArn, sourcePackageArn: sourceArn, modelSha256: sha };
  await deps.store.putIfAbsent(marker, JSON.stringify(promoted), 'application/json');
  return promoted;
}

/**
 * {@link promote}, and when this stage refuses the source's model for good (the same event would be
 * refused again: not approved, no recorded hash, a missing or changed artifact), a Model Promotion
 * Failed fact, e-mailed once per source version: a `refused.json` marker in its run folder, written
 * after the announcement, so Lambda's async retries and a later replay announce it again only if
 * it was not announced. The error is thrown still, so the event ends in the dead-letter queue,
 * which alarms. A misrouted event (MisroutedEventError) is not the source's model: not announced.
 */
export async function promoteOrRefuse(event: ModelLiveEvent, env: PromoteEnv, deps: PromotionDeps): Promise<Promoted> {
  try {
    return await promote(event, env, deps);
  } catch (e) {
    if (!(e instanceof PromotionRefusedError || e instanceof ArtifactMismatchError)) throw e;
    const sourceArn = event.detail.modelPackageArn;
    const version = Number(PACKAGE_ARN.exec(sourceArn)![3]);
    const marker = { bucket: env.ARTIFACTS_BUCKET, key: `${promotedRunFolder(env, version)}/refused.json` };
    try {
      if (!(await deps.store.exists(marker.bucket, marker.key))) {
        await deps.announce({ kind: 'promotion-failed', sourcePackageArn: sourceArn, sourceStage: env.SOURCE_STAGE, error: e.name, cause: e.message });
        await deps.store.putIfAbsent(marker, JSON.stringify({ sourcePackageArn: sourceArn, error: e.name, cause: e.message }), 'application/json');
      }
    } catch (announceError) {
      // The refusal is what the DLQ and its alarm must carry; a failed e-mail is logged (and tried again on the next delivery), not thrown instead.
      deps.log.error('refusal not announced', { error: String(announceError) });
    }
    throw e;
  }
}

/**
 * The source run's lineage and drift baseline, copied into the promoted run folder: the drift
 * check here reads the baseline next to the lineage the package names. Returns the copy's lineage
 * URI (undefined when the source package names none).
 */
async function copyLineage(lineage: string | undefined, run: string, env: PromoteEnv, store: ObjectStore): Promise<string | undefined> {
  const m = lineage ? /^s3:\/\/([^/]+)\/(.+\/runs\/[^/]+)\/input\/lineage\.json$/.exec(lineage) : null;
  if (!m || m[1] !== env.SOURCE_BUCKET) return undefined;
  const copied: string[] = [];
  for (const file of RUN_FILES) {
    const size = await store.sizeOf(m[1], `${m[2]}/${file}`);
    if (size === undefined) continue;
    await store.copy({ bucket: m[1], key: `${m[2]}/${file}` }, { bucket: env.ARTIFACTS_BUCKET, key: `${run}/${file}` }, size);
    copied.push(file);
  }
  return copied.includes('input/lineage.json') ? s3Uri(env.ARTIFACTS_BUCKET, `${run}/input/lineage.json`) : undefined;
}
