import { createHash } from 'node:crypto';
import type { Logger } from '../shared/logger';
import { parseS3Uri, s3Uri, type ObjectStore, type StoredObject } from '../shared/object-store';
import { mapLimit } from '../shared/concurrency';
import { datasetListing } from '../shared/names';
import { jobName, runId, runLayout, type RunLayout } from '../shared/run';
import { COPIES_IN_FLIGHT, HEAD_READS_IN_FLIGHT } from '../shared/validation-budget';
import { decodeHead, headerProblems, inspectCsvHead, isIgnored } from './csv';
import type { DatasetRules, ValidateTask } from './schema';

/** CustomerMetadataProperties values hold at most 256 characters. */
const MAX_METADATA_VALUE = 256;
/**
 * Reasons returned to the workflow, the last one saying how many more are in reason.json. With
 * `dataset.maxObjects` = 1000 and keys up to 1024 bytes, every reason would exceed Step Functions'
 * 256 KiB state limit (States.DataLimitExceeded); the notification shows up to 20 items too.
 */
export const MAX_RETURNED_REASONS = 20;
/** Characters of one returned reason (an S3 key is at most 1024 bytes). */
export const MAX_REASON_CHARS = 1500;

export interface ValidateDeps {
  readonly store: ObjectStore;
  readonly rules: DatasetRules;
  readonly artifactsBucket: string;
  readonly resourcePrefix: string;
  readonly quarantinePrefix: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

export interface AcceptedDataset {
  readonly accepted: true;
  readonly runId: string;
  readonly dataset: {
    readonly uri: string;
    readonly objectCount: number;
    /** Tools' by-products left out (named in lineage.json). */
    readonly ignoredObjects: number;
    readonly totalBytes: number;
    readonly estimatedRows: number;
    /** SHA-256 over every key, version id and ETag: the dataset's identity for lineage. */
    readonly sha256: string;
    /** Fits a CustomerMetadataProperties value. */
    readonly uriForMetadata: string;
    /** Where the run reads the accepted files: its own copy, or (a retraining) the snapshot of the run that accepted them. */
    readonly snapshotUri: string;
    /** The run whose snapshot this is: what retraining starts from. */
    readonly snapshotRun: string;
  };
  readonly jobs: { readonly preprocess: string; readonly training: string; readonly evaluation: string };
  readonly paths: RunLayout;
}

export interface RejectedDataset {
  readonly accepted: false;
  /** At most {@link MAX_RETURNED_REASONS}; reason.json in the quarantine holds every one. */
  readonly reasons: readonly string[];
  readonly datasetUri: string;
  readonly quarantineUri: string;
}

export type ValidationResult = AcceptedDataset | RejectedDataset;

/** Where a run's files are listed: the landing folder, or for a retraining the snapshot of the run that accepted them. */
function sourceOf(task: ValidateTask, deps: ValidateDeps): { bucket: string; prefix: string; singleObject: boolean; snapshotRun?: string } {
  const { input } = task;
  if (input.snapshotRun === undefined) return { bucket: input.bucket, prefix: input.prefix, singleObject: input.singleObject };
  const { bucket, key } = parseS3Uri(runLayout(deps.artifactsBucket, input.pipeline, input.snapshotRun).snapshot);
  return { bucket, prefix: key, singleObject: false, snapshotRun: input.snapshotRun };
}

/**
 * The dataset's objects as they are now (folder placeholders left out; by-products in): the
 * landing folder, or a retraining's snapshot. Room is listed for tools' by-products too (Spark
 * writes a .crc beside each part), which do not count toward maxObjects.
 */
export async function listDataset(task: ValidateTask, deps: ValidateDeps) {
  const source = sourceOf(task, deps);
  const listed = await deps.store.list(source.bucket, source.prefix, 2 * deps.rules.maxObjects + 10);
  const objects = listed.objects.filter((o) => !(o.key.endsWith('/') && o.size === 0) && (!source.singleObject || o.key === source.prefix));
  return { source, objects, truncated: listed.truncated };
}

/** What this run listed, for the trigger: a file of the dataset that is not in it arrived late and is reported. */
async function recordListing(task: ValidateTask, listed: readonly StoredObject[], deps: ValidateDeps): Promise<void> {
  const listing = {
    executionArn: task.executionArn,
    listedAt: (deps.now?.() ?? new Date()).toISOString(),
    objects: listed.map((o) => ({ key: o.key, versionId: o.versionId })),
  };
  await deps.store.putText(
    { bucket: deps.artifactsBucket, key: datasetListing(task.input.pipeline, task.input.datasetId) },
    JSON.stringify(listing),
    'application/json',
  );
}

/**
 * Lists the dataset, checks it cheaply, and either plans the run or quarantines the data. An
 * accepted dataset is first copied, at the versions just checked, into the run's snapshot, which
 * the run trains on and which stays as long as the run's model: overwriting the dataset id or
 * expiring noncurrent versions in the landing bucket changes neither.
 */
export async function validateDataset(task: ValidateTask, deps: ValidateDeps): Promise<ValidationResult> {
  const { input } = task;
  const { source, objects: listed, truncated: listTruncated } = await listDataset(task, deps);
  if (input.snapshotRun === undefined && input.reason === 'data-drop') await recordListing(task, listed, deps);
  const relative = (key: string) => (source.singleObject ? key.slice(key.lastIndexOf('/') + 1) : key.slice(source.prefix.length));
  const ignored = listed.filter((o) => isIgnored(relative(o.key), deps.rules.ignore)).map((o) => o.key);
  const dataFiles = listed.filter((o) => !ignored.includes(o.key));
  const truncated = listTruncated || dataFiles.length > deps.rules.maxObjects;
  const files = dataFiles.slice(0, deps.rules.maxObjects);
  const reasons =
    source.snapshotRun !== undefined && files.length === 0
      ? {
          problems: [
            `the snapshot ${s3Uri(source.bucket, source.prefix)} of run ${source.snapshotRun} holds no data files: drop the dataset again to train on it`,
          ],
          estimatedRows: 0,
          oversized: false,
        }
      : await checkFiles(files, truncated, source.bucket, deps.rules, deps.store);
  const datasetUri = s3Uri(input.bucket, input.prefix);

  if (reasons.problems.length > 0) {
    const quarantineUri = await quarantine(
      task,
      source,
      files.map((f) => ({ ...f, relative: relative(f.key) })),
      reasons.problems,
      ignored,
      reasons.oversized ? 'over dataset.maxObjects or dataset.maxBytes: the objects above stay in the landing bucket at these versions' : undefined,
      deps,
    );
    const returned = returnedReasons(reasons.problems, `${quarantineUri}reason.json`);
    deps.log.warn('dataset rejected', { datasetUri, reasonCount: reasons.problems.length, reasons: returned, quarantineUri });
    return { accepted: false, reasons: returned, datasetUri, quarantineUri };
  }

  const run = runId(task.executionArn, task.startTime);
  const paths = runLayout(deps.artifactsBucket, input.pipeline, run);
  const snapshotUri = source.snapshotRun === undefined ? paths.snapshot : s3Uri(source.bucket, source.prefix);
  if (source.snapshotRun === undefined) {
    const to = parseS3Uri(paths.snapshot);
    await mapLimit(files, COPIES_IN_FLIGHT, (f) =>
      deps.store.copy({ bucket: source.bucket, key: f.key, versionId: f.versionId }, { bucket: to.bucket, key: `${to.key}${relative(f.key)}` }, f.size),
    );
  }
  const sha256 = datasetHash(files);
  await deps.store.putText(
    parseS3Uri(paths.manifest),
    processingManifest(
      snapshotUri,
      files.map((f) => relative(f.key)),
    ),
    'application/json',
  );
  await writeLineage(paths, task, { files, ignored, sha256, snapshotUri, snapshotRun: source.snapshotRun }, deps);
  deps.log.info('dataset accepted', {
    datasetUri,
    snapshotUri,
    objects: files.length,
    ignored: ignored.length,
    estimatedRows: reasons.estimatedRows,
    runId: run,
  });
  return {
    accepted: true,
    runId: run,
    dataset: {
      uri: datasetUri,
      objectCount: files.length,
      ignoredObjects: ignored.length,
      totalBytes: files.reduce((n, f) => n + f.size, 0),
      estimatedRows: reasons.estimatedRows,
      sha256,
      uriForMetadata: fitMetadata(datasetUri),
      snapshotUri,
      snapshotRun: source.snapshotRun ?? run,
    },
    jobs: {
      preprocess: jobName(deps.resourcePrefix, run, 'prep'),
      training: jobName(deps.resourcePrefix, run, 'train'),
      evaluation: jobName(deps.resourcePrefix, run, 'eval'),
    },
    paths,
  };
}

async function checkFiles(
  files: readonly StoredObject[],
  truncated: boolean,
  bucket: string,
  rules: DatasetRules,
  store: ObjectStore,
): Promise<{ problems: string[]; estimatedRows: number; oversized: boolean }> {
  const problems: string[] = [];
  if (files.length === 0)
    return { problems: ["no data files found (tools' by-products such as _SUCCESS are ignored: dataset.ignore)"], estimatedRows: 0, oversized: false };
  if (truncated) problems.push(`more than ${rules.maxObjects} objects (dataset.maxObjects)`);
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > rules.maxBytes) problems.push(`${total} bytes in all, more than the limit of ${rules.maxBytes} (dataset.maxBytes)`);
  const oversized = problems.length > 0;

  // Ranged reads 16 at a time; the reasons come out in key order all the same.
  const checked = await mapLimit(files, HEAD_READS_IN_FLIGHT, (file) => checkFile(file, bucket, rules, store));
  for (const c of checked) problems.push(...c.problems);
  const estimatedRows = checked.reduce((n, c) => n + c.rows, 0);
  if (problems.length === 0 && estimatedRows < rules.minRows) {
    problems.push(`about ${estimatedRows} data rows, fewer than the required ${rules.minRows} (dataset.minRows)`);
  }
  return { problems, estimatedRows, oversized };
}

/** One file's problems (its name first) and its estimated data rows, from its first bytes. */
async function checkFile(file: StoredObject, bucket: string, rules: DatasetRules, store: ObjectStore): Promise<{ problems: string[]; rows: number }> {
  const name = file.key;
  if (/\.(gz|gzip|zip|bz2|zst)$/i.test(name)) return { problems: [`${name}: compressed files are not accepted: upload the uncompressed .csv`], rows: 0 };
  if (!/\.csv$/i.test(name)) return { problems: [`${name}: only .csv files are accepted`], rows: 0 };
  if (file.size === 0) return { problems: [`${name}: the file is empty`], rows: 0 };
  const complete = file.size <= rules.headBytes;
  const bytes = await store.readHead({ bucket, key: file.key, versionId: file.versionId }, rules.headBytes);
  const head = decodeHead(bytes, complete);
  if ('problem' in head) return { problems: [`${name}: ${head.problem}`], rows: 0 };
  const { header, dataLines } = inspectCsvHead(head.text, complete);
  const rows = complete || dataLines === 0 ? dataLines : Math.round((dataLines * file.size) / bytes.byteLength);
  return { problems: headerProblems(header, rules.columns, rules.label).map((p) => `${name}: ${p}`), rows };
}

/**
 * Copies the files under `quarantine/<pipeline>/<dataset-id>/` with a `reason.json`; originals stay.
 * With `notCopied` (why: a dataset over `maxObjects` or `maxBytes`, whose copy could outlast the
 * function; an upload that never finished) nothing is copied: `reason.json` names every object by
 * key and version id, and the landing bucket keeps them (versioned; the platform never deletes an upload).
 */
export async function quarantine(
  task: ValidateTask,
  source: { bucket: string; prefix: string },
  files: readonly (StoredObject & { relative: string })[],
  reasons: readonly string[],
  ignored: readonly string[],
  notCopied: string | undefined,
  deps: ValidateDeps,
): Promise<string> {
  const { input } = task;
  const base = `${deps.quarantinePrefix}/${input.pipeline}/${input.datasetId}/`;
  if (notCopied === undefined) {
    await mapLimit(files, COPIES_IN_FLIGHT, (f) =>
      deps.store.copy({ bucket: source.bucket, key: f.key, versionId: f.versionId }, { bucket: input.bucket, key: `${base}${f.relative}` }, f.size),
    );
  }
  const reason = {
    pipeline: input.pipeline,
    datasetId: input.datasetId,
    source: s3Uri(source.bucket, source.prefix),
    reasons,
    objects: files.map((f) => ({ key: f.key, versionId: f.versionId, size: f.size })),
    ignored,
    ...(notCopied ? { notCopied } : {}),
    execution: task.executionArn,
    rejectedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  await deps.store.putText({ bucket: input.bucket, key: `${base}reason.json` }, `${JSON.stringify(reason, null, 2)}\n`, 'application/json');
  return s3Uri(input.bucket, base);
}

/** A SageMaker Processing manifest: the common prefix, then each file relative to it. */
export function processingManifest(prefixUri: string, relativeKeys: readonly string[]): string {
  return JSON.stringify([{ prefix: prefixUri }, ...relativeKeys]);
}

async function writeLineage(
  paths: RunLayout,
  task: ValidateTask,
  data: { files: readonly StoredObject[]; ignored: readonly string[]; sha256: string; snapshotUri: string; snapshotRun?: string },
  deps: ValidateDeps,
) {
  const lineage = {
    dataset: s3Uri(task.input.bucket, task.input.prefix),
    sha256: data.sha256,
    /** What the run trains on, byte for byte: a copy of the objects below, kept as long as the run. */
    snapshot: data.snapshotUri,
    /** For a retraining: the run whose accepted data this is (its lineage.json names the landing versions). */
    ...(data.snapshotRun ? { snapshotOf: data.snapshotRun } : {}),
    objects: data.files.map((f) => ({ key: f.key, versionId: f.versionId, etag: f.etag, size: f.size })),
    /** Tools' by-products in the dataset folder, left out by dataset.ignore. */
    ignored: data.ignored,
    execution: task.executionArn,
    reason: task.input.reason,
  };
  await deps.store.putText(parseS3Uri(paths.lineage), `${JSON.stringify(lineage, null, 2)}\n`, 'application/json');
}

export function datasetHash(files: readonly StoredObject[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.key < b.key ? -1 : 1))) h.update(`${f.key}\n${f.versionId ?? ''}\n${f.etag ?? ''}\n`);
  return h.digest('hex');
}

/** The reasons the workflow carries: a bounded summary of every reason, which stays in reason.json. */
export function returnedReasons(all: readonly string[], reasonJsonUri: string): string[] {
  const clip = (r: string) => (r.length <= MAX_REASON_CHARS ? r : `${r.slice(0, MAX_REASON_CHARS - 1)}…`);
  if (all.length <= MAX_RETURNED_REASONS) return all.map(clip);
  const shown = all.slice(0, MAX_RETURNED_REASONS - 1).map(clip);
  return [...shown, `… and ${all.length - shown.length} more reasons: every reason is in ${reasonJsonUri}`];
}

/** Keeps a value within 256 characters, marking a cut with "…". */
export function fitMetadata(value: string): string {
  return value.length <= MAX_METADATA_VALUE ? value : `${value.slice(0, MAX_METADATA_VALUE - 1)}…`;
}
