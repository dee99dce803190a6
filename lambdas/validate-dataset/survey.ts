import { s3Uri, type StoredObject } from '../shared/object-store';
import { isIgnored } from './csv';
import { listDataset, quarantine, returnedReasons, type RejectedDataset, type ValidateDeps } from './logic';
import type { ValidateTask } from './schema';
import { pollSeconds, type SettleState } from './survey-state';

export interface SettleRules {
  /** The quiet period: the drop has not changed for this long. */
  readonly settleSeconds: number;
  /** Past this, a drop that has not settled (or has no marker) is rejected. */
  readonly maxWaitSeconds: number;
  /** A completion marker (`_SUCCESS`) to wait for instead of the quiet period. */
  readonly marker?: string;
}

export type SurveyResult = ({ readonly status: 'ready' | 'waiting' } & SettleState) | { readonly status: 'expired'; readonly rejection: RejectedDataset };

/**
 * One look at a drop before it is validated. A drop is complete when its folder has not changed
 * (object count, bytes, newest modification) for `settleSeconds`, or, with a marker, when the
 * marker is there, and no multipart upload is in progress under it. Time is counted from the
 * waits the workflow made, so the answer does not depend on any clock. Past the
 * maximum wait the drop is rejected with a reason that says so. A single object (an S3 PUT is
 * atomic) and a retraining's snapshot are complete at once.
 */
export async function surveyDrop(task: ValidateTask, previous: SettleState, rules: SettleRules, deps: ValidateDeps): Promise<SurveyResult> {
  const { input } = task;
  if (input.singleObject || input.snapshotRun !== undefined) return { status: 'ready', ...previous };
  const { objects } = await listDataset(task, deps);
  // Parts of a multipart upload (aws s3 cp above 8 MB) are not listed until it completes.
  const uploading = await deps.store.uploadsInProgress(input.bucket, input.prefix);
  const relative = (o: StoredObject) => o.key.slice(input.prefix.length);
  const newest = objects.reduce((t, o) => (o.lastModified && o.lastModified > t ? o.lastModified : t), '');
  const fingerprint = `${objects.length} objects, ${objects.reduce((n, o) => n + o.size, 0)} bytes, newest ${newest || 'unknown'}, ${uploading} uploads in progress`;
  const waitedSeconds = previous.waitedSeconds + previous.waitSeconds;
  // Quiet time counts from the waits this run made: the first look counts none (an object's
  // LastModified is when its upload started, so an old date does not mean the drop is complete).
  const quietSeconds = previous.fingerprint === fingerprint ? previous.quietSeconds + previous.waitSeconds : 0;
  const complete = uploading === 0 && (rules.marker !== undefined ? objects.some((o) => relative(o) === rules.marker) : quietSeconds >= rules.settleSeconds);
  const state = { fingerprint, quietSeconds, waitedSeconds };
  if (complete) return { status: 'ready', ...state, waitSeconds: 0 };
  if (waitedSeconds >= rules.maxWaitSeconds) {
    const minutes = Math.round(rules.maxWaitSeconds / 60);
    const reason =
      rules.marker !== undefined
        ? `no ${rules.marker} marker after ${minutes} minutes (dataset.completeWhen.marker, dataset.maxWaitMinutes): the upload did not finish; drop the complete dataset under a new dataset id`
        : `the upload was still changing after ${minutes} minutes (dataset.maxWaitMinutes; now ${fingerprint}, quiet for ${Math.round(quietSeconds)} s of the ${rules.settleSeconds} s dataset.settleSeconds): drop the complete dataset under a new dataset id`;
    const files = objects.filter((o) => !isIgnored(relative(o), deps.rules.ignore)).map((o) => ({ ...o, relative: relative(o) }));
    const quarantineUri = await quarantine(task, input, files, [reason], [], 'the upload had not finished: the objects above stay in the landing bucket', deps);
    deps.log.warn('dataset rejected: the drop did not complete', { prefix: input.prefix, reason, quarantineUri });
    return {
      status: 'expired',
      rejection: {
        accepted: false,
        reasons: returnedReasons([reason], `${quarantineUri}reason.json`),
        datasetUri: s3Uri(input.bucket, input.prefix),
        quarantineUri,
      },
    };
  }
  const remaining = rules.marker !== undefined ? rules.settleSeconds : rules.settleSeconds - quietSeconds;
  const waitSeconds = Math.min(Math.max(pollSeconds(rules.maxWaitSeconds), Math.ceil(remaining)), Math.max(1, rules.maxWaitSeconds - waitedSeconds));
  deps.log.info('waiting for the drop to complete', { prefix: input.prefix, fingerprint, quietSeconds, waitedSeconds, waitSeconds });
  return { status: 'waiting', ...state, waitSeconds };
}
