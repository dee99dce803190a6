import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
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
  start(name: string, input: WorkflowInput): Promise<{ status: 'started' | 'exists'; executionArn?: string }>;
}

export interface TriggerDeps {
  readonly pipeline: string;
  readonly landingBucket: string;
  readonly store: ObjectStore;
  readonly starter: WorkflowStarter;
  readonly log: Logger;
}

export type TriggerOutcome =
  | { readonly action: 'started' | 'already-started'; readonly executionName: string; readonly datasetId: string }
  | { readonly action: 'ignored'; readonly reason: string };

/** Handles one "Object Created" notification: at most one start per dataset, ever. */
export async function onObjectCreated(bucket: string, eventKey: string, deps: TriggerDeps): Promise<TriggerOutcome> {
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
  const name = executionName(deps.pipeline, decision.input.datasetId);
  const started = await deps.starter.start(name, decision.input);
  const action = started.status === 'started' ? 'started' : 'already-started';
  deps.log.info(action === 'started' ? 'training workflow started' : 'dataset already has a run; nothing started', {
    key,
    datasetId: decision.input.datasetId,
    executionName: name,
    executionArn: started.executionArn,
  });
  return { action, executionName: name, datasetId: decision.input.datasetId };
}

async function firstExisting(keys: string[], bucket: string, store: ObjectStore): Promise<string | undefined> {
  for (const k of keys) if (await store.exists(bucket, k)) return k;
  return undefined;
}

function ignore(deps: TriggerDeps, reason: string, key: string): TriggerOutcome {
  deps.log.warn('object ignored', { key, reason, pipeline: deps.pipeline });
  return { action: 'ignored', reason };
}
