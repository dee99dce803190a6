import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { datasetLedger, datasetListing, lateReportMark } from '../shared/names';
import { isIgnored } from '../validate-dataset/csv';
import { CONTROL_CHARACTERS, executionName, isPathSegment, type WorkflowInput } from '../shared/run';

/** What a key means to one pipeline. */
export type KeyDecision = { readonly kind: 'dataset'; readonly input: WorkflowInput } | { readonly kind: 'ignored'; readonly reason: string };

/**
 * Maps an object key to its dataset: `<pipeline>/<dataset-id>/...` is the folder dataset
 * `<dataset-id>`; `<pipeline>/<file>` is a single-object dataset. Everything else is ignored
 * with a reason.
 */
export function datasetForKey(key: string, pipeline: string, bucket: string): KeyDecision {
  const root = `${pipeline}/`;
  if (!key.startsWith(root)) return { kind: 'ignored', reason: `key is outside the pipeline prefix "${root}"` };
  const rest = key.slice(root.length);
  if (rest === '' || key.endsWith('/')) return { kind: 'ignored', reason: 'folder placeholder object (key ends with "/")' };
  if (CONTROL_CHARACTERS.test(key)) return { kind: 'ignored', reason: 'key contains control characters' };
  const segments = rest.split('/');
  const bad = segments.find((s) => !isPathSegment(s));
  if (bad !== undefined) return { kind: 'ignored', reason: `key has an empty, "." or ".." path segment` };
  const datasetId = segments[0]!;
  const singleObject = segments.length === 1;
  return {
    kind: 'dataset',
    input: { pipeline, bucket, datasetId, prefix: singleObject ? key : `${root}${datasetId}/`, singleObject, reason: 'data-drop' },
  };
}

/**
 * Keys as S3 may have written them in the event: URL-encoded (`+` for space, `%XX`) as in S3's
 * own notifications, or raw. The decoded form comes first; duplicates are dropped.
 */
export function candidateKeys(eventKey: string): string[] {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(eventKey.replace(/\+/g, ' '));
  } catch {
    decoded = undefined; // a lone "%" cannot be URL-encoding: the key is raw
  }
  return decoded === undefined || decoded === eventKey ? [eventKey] : [decoded, eventKey];
}

/** Starts the training workflow; `exists` when an execution of that name already ran or runs. */
export interface WorkflowStarter {
  start(name: string, input: WorkflowInput): Promise<{ status: 'started' | 'exists'; executionArn: string }>;
  /** `running`; `closed` (succeeded, failed, timed out, aborted); `missing` (Step Functions forgets closed executions after 90 days). */
  state(executionArn: string): Promise<'running' | 'closed' | 'missing'>;
}

/** Files arrived in a dataset that already had its run: nothing starts, and the data scientist is told (once a day). */
export interface ReuploadNotice {
  readonly datasetId: string;
  readonly datasetUri: string;
  readonly key: string;
  readonly executionArn: string;
}

/** Files landed in a dataset after its run had listed it: that run trains without them (reported once per dataset). */
export interface LateFilesNotice {
  readonly datasetId: string;
  readonly datasetUri: string;
  readonly executionArn: string;
  /** The late files found when the first one was reported (at most {@link MAX_NAMED_LATE_FILES}). */
  readonly lateKeys: readonly string[];
  readonly lateCount: number;
}

/** Late files named in the notice; the count says how many there were. */
export const MAX_NAMED_LATE_FILES = 20;
/** Keys the trigger lists to name late files (a dataset holds at most dataset.maxObjects, ≤ 10,000, plus by-products). */
const LATE_LISTING_LIMIT = 25_000;

export interface TriggerDeps {
  readonly pipeline: string;
  readonly landingBucket: string;
  /** Where the dataset ledger lives (artifacts bucket). */
  readonly artifactsBucket: string;
  readonly store: ObjectStore;
  readonly starter: WorkflowStarter;
  readonly notifyReupload: (n: ReuploadNotice) => Promise<void>;
  readonly notifyLate: (n: LateFilesNotice) => Promise<void>;
  /** dataset.ignore: tools' by-products, never late. */
  readonly ignore: readonly string[];
  readonly log: Logger;
  readonly now?: () => Date;
}

export type TriggerOutcome =
  | { readonly action: 'started' | 'already-started' | 'already-trained' | 'late'; readonly executionName: string; readonly datasetId: string }
  | { readonly action: 'ignored'; readonly reason: string };

/**
 * Handles one "Object Created" notification: at most one start per dataset, ever. A file that lands
 * after the dataset's run listed it (not in the run's listing, at that version) is reported by name,
 * once per dataset.
 */
export async function onObjectCreated(bucket: string, eventKey: string, deps: TriggerDeps, versionId?: string): Promise<TriggerOutcome> {
  if (bucket !== deps.landingBucket) return ignore(deps, `bucket "${bucket}" is not the landing bucket`, eventKey);
  const candidates = candidateKeys(eventKey);
  let key = candidates[0]!;
  if (candidates.length > 1) {
    const found = await firstExisting(candidates, bucket, deps.store);
    if (found === undefined) return ignore(deps, 'the object no longer exists under either reading of the key', eventKey);
    key = found;
  }
  const decision = datasetForKey(key, deps.pipeline, bucket);
  if (decision.kind === 'ignored') return ignore(deps, decision.reason, key);
  const { datasetId } = decision.input;
  const name = executionName(deps.pipeline, datasetId);
  const ledger = { bucket: deps.artifactsBucket, key: `${datasetLedger(deps.pipeline, datasetId)}/run.json` };
  const now = (deps.now ?? (() => new Date()))();
  // The ledger, not Step Functions (which forgets a closed execution after 90 days), says whether the dataset already had its run.
  if (await deps.store.exists(ledger.bucket, ledger.key)) {
    const { executionArn } = JSON.parse(await deps.store.readText(ledger)) as { executionArn: string };
    if ((await deps.starter.state(executionArn)) === 'running') {
      const late = await lateFiles(deps, decision.input, key, versionId);
      if (late) return reportLate(deps, decision.input, name, executionArn, late.keys, late.reported);
      return already(deps, 'already-started', key, datasetId, name, executionArn);
    }
    return reuploaded(deps, decision.input, key, name, executionArn, now);
  }
  const started = await deps.starter.start(name, decision.input);
  await deps.store.putIfAbsent(
    ledger,
    `${JSON.stringify({ executionArn: started.executionArn, startedAt: now.toISOString(), firstKey: key })}\n`,
    'application/json',
  );
  if (started.status === 'exists' && (await deps.starter.state(started.executionArn)) !== 'running') {
    return reuploaded(deps, decision.input, key, name, started.executionArn, now);
  }
  return already(deps, started.status === 'started' ? 'started' : 'already-started', key, datasetId, name, started.executionArn);
}

function already(deps: TriggerDeps, action: 'started' | 'already-started', key: string, datasetId: string, name: string, executionArn: string): TriggerOutcome {
  deps.log.info(action === 'started' ? 'training workflow started' : 'dataset already has a run; nothing started', {
    key,
    datasetId,
    executionName: name,
    executionArn,
  });
  return { action, executionName: name, datasetId };
}

/** The dataset's run has ended: new files start nothing, and one e-mail a day says so. */
async function reuploaded(deps: TriggerDeps, input: WorkflowInput, key: string, name: string, executionArn: string, now: Date): Promise<TriggerOutcome> {
  const mark = { bucket: deps.artifactsBucket, key: `${datasetLedger(deps.pipeline, input.datasetId)}/reupload-${now.toISOString().slice(0, 10)}` };
  // E-mail first, then mark the day: a failed publish is retried with the event (a rare duplicate beats a lost e-mail).
  const first = !(await deps.store.exists(mark.bucket, mark.key));
  if (first) {
    await deps.notifyReupload({ datasetId: input.datasetId, datasetUri: `s3://${input.bucket}/${input.prefix}`, key, executionArn });
    await deps.store.putIfAbsent(mark, `${JSON.stringify({ key, at: now.toISOString() })}\n`, 'application/json');
  }
  deps.log.warn('files arrived in a dataset that already had its run; nothing started', {
    key,
    datasetId: input.datasetId,
    executionName: name,
    executionArn,
    notified: first,
  });
  return { action: 'already-trained', executionName: name, datasetId: input.datasetId };
}

/**
 * The dataset's files that its run did not list, when `key` (at `versionId`) is one of them, and
 * whether they were reported already; undefined while the run has not listed yet.
 */
async function lateFiles(
  deps: TriggerDeps,
  input: WorkflowInput,
  key: string,
  versionId: string | undefined,
): Promise<{ keys: string[]; reported: boolean } | undefined> {
  const relative = (k: string) => (input.singleObject ? k.slice(k.lastIndexOf('/') + 1) : k.slice(input.prefix.length));
  if (isIgnored(relative(key), deps.ignore)) return undefined;
  const ref = { bucket: deps.artifactsBucket, key: datasetListing(deps.pipeline, input.datasetId) };
  if (!(await deps.store.exists(ref.bucket, ref.key))) return undefined;
  const listing = JSON.parse(await deps.store.readText(ref)) as { objects: { key: string; versionId?: string }[] };
  const listed = new Set(listing.objects.map((o) => `${o.key}\n${o.versionId ?? ''}`));
  const listedKeys = new Set(listing.objects.map((o) => o.key));
  const isListed = (k: string, v: string | undefined) => (v === undefined ? listedKeys.has(k) : listed.has(`${k}\n${v}`));
  if (isListed(key, versionId)) return undefined;
  // Once reported, later late files of the dataset are only logged: no listing, no e-mail.
  if (await reported(deps, input.datasetId)) return { keys: [key], reported: true };
  const now = await deps.store.list(input.bucket, input.prefix, LATE_LISTING_LIMIT);
  const others = now.objects
    .filter((o) => (input.singleObject ? o.key === input.prefix : !(o.key.endsWith('/') && o.size === 0)))
    .filter((o) => o.key !== key && !isIgnored(relative(o.key), deps.ignore) && !isListed(o.key, o.versionId))
    .map((o) => o.key);
  return { keys: [key, ...others], reported: false };
}

/** Seconds after which a claim to report late files whose e-mail was never confirmed is taken over (the trigger times out after 30 s). */
const STALE_CLAIM_SECONDS = 300;

/** Whether the dataset's late files were reported, or are being reported by another invocation (a fresh claim). */
async function reported(deps: TriggerDeps, datasetId: string): Promise<boolean> {
  const mark = { bucket: deps.artifactsBucket, key: lateReportMark(deps.pipeline, datasetId) };
  if (!(await deps.store.exists(mark.bucket, mark.key))) return false;
  const m = JSON.parse(await deps.store.readText(mark)) as { status?: string; at: string };
  const now = (deps.now?.() ?? new Date()).getTime();
  return m.status !== 'claimed' || now - Date.parse(m.at) < STALE_CLAIM_SECONDS * 1000;
}

/**
 * The first late file of a dataset e-mails the late files found so far. Late files come in
 * batches, handled by invocations in parallel: one claims the report (a conditional write), sends
 * it, then confirms it; a claim never confirmed (its sender failed) is taken over after
 * {@link STALE_CLAIM_SECONDS}, so an e-mail is neither sent twice nor lost.
 */
async function reportLate(
  deps: TriggerDeps,
  input: WorkflowInput,
  name: string,
  executionArn: string,
  late: string[],
  alreadyReported: boolean,
): Promise<TriggerOutcome> {
  const mark = { bucket: deps.artifactsBucket, key: lateReportMark(deps.pipeline, input.datasetId) };
  const at = (deps.now?.() ?? new Date()).toISOString();
  const lateKeys = late.slice(0, MAX_NAMED_LATE_FILES);
  const claim = `${JSON.stringify({ status: 'claimed', at })}\n`;
  let claimed = false;
  if (!alreadyReported) {
    claimed = await deps.store.putIfAbsent(mark, claim, 'application/json');
    // Not written: another invocation claimed it just now (a fresh claim), or a stale claim is there to take over.
    if (!claimed && !(await reported(deps, input.datasetId))) {
      await deps.store.putText(mark, claim, 'application/json');
      claimed = true;
    }
  }
  if (claimed) {
    await deps.notifyLate({ datasetId: input.datasetId, datasetUri: `s3://${input.bucket}/${input.prefix}`, executionArn, lateKeys, lateCount: late.length });
    await deps.store.putText(mark, `${JSON.stringify({ status: 'sent', lateKeys, at })}\n`, 'application/json');
  }
  deps.log.warn('a file arrived after the run listed its dataset; the run trains without it', {
    key: late[0],
    datasetId: input.datasetId,
    executionName: name,
    executionArn,
    notified: claimed,
  });
  return { action: 'late', executionName: name, datasetId: input.datasetId };
}

async function firstExisting(keys: string[], bucket: string, store: ObjectStore): Promise<string | undefined> {
  for (const k of keys) if (await store.exists(bucket, k)) return k;
  return undefined;
}

function ignore(deps: TriggerDeps, reason: string, key: string): TriggerOutcome {
  deps.log.warn('object ignored', { key, reason, pipeline: deps.pipeline });
  return { action: 'ignored', reason };
}
