/**
 * The validation function's worst case at the configured maxima, shared by the function (its
 * concurrency), the config check (a dataset limit it cannot meet is a synth-time error) and the
 * test that derives it from the synthesized template (#17 B).
 */

/** Lambda's maximum: the validation function's time-out. */
export const VALIDATION_TIMEOUT_SECONDS = 900;
/** Ranged GETs (head reads) in flight at once. */
export const HEAD_READS_IN_FLIGHT = 16;
/** Server-side copies in flight at once (snapshot and quarantine): S3 takes thousands of requests a second per prefix. */
export const COPIES_IN_FLIGHT = 16;
/** Parts of one multipart copy in flight at once. */
export const PARTS_IN_FLIGHT = 8;
/** Keys per ListObjectVersions page. */
const KEYS_PER_PAGE = 1000;

/**
 * Stated per-request figures (not measured here: no AWS): 50 ms a GET or LIST, 100 ms a CopyObject,
 * and a server-side copy moving 100 MiB/s per request in flight.
 */
export const ASSUMED = { getSeconds: 0.05, copySeconds: 0.1, copyBytesPerSecond: 100 * 1024 ** 2 } as const;

export interface ValidationWorstCase {
  readonly listSeconds: number;
  readonly headSeconds: number;
  /** Copy requests of the snapshot (accepted) or the quarantine (rejected): never both. */
  readonly copyRequestSeconds: number;
  /** Moving `maxBytes` when it is one file (the slowest shape: one file's parts only). */
  readonly copyBytesSeconds: number;
  readonly totalSeconds: number;
}

/** Seconds the validation task takes at `maxObjects` files of `maxBytes` in all, with the {@link ASSUMED} figures. */
export function validationWorstCase(maxObjects: number, maxBytes: number): ValidationWorstCase {
  // The listing holds room for tools' by-products (2 × maxObjects + 10 keys), one page after another.
  const listSeconds = Math.ceil((2 * maxObjects + 10) / KEYS_PER_PAGE) * ASSUMED.getSeconds;
  const headSeconds = Math.ceil(maxObjects / HEAD_READS_IN_FLIGHT) * ASSUMED.getSeconds;
  const copyRequestSeconds = Math.ceil(maxObjects / COPIES_IN_FLIGHT) * ASSUMED.copySeconds;
  const copyBytesSeconds = maxBytes / (PARTS_IN_FLIGHT * ASSUMED.copyBytesPerSecond);
  // The manifest, lineage, listing record or reason.json: a few small writes.
  const writes = 4 * ASSUMED.getSeconds;
  return {
    listSeconds,
    headSeconds,
    copyRequestSeconds,
    copyBytesSeconds,
    totalSeconds: listSeconds + headSeconds + copyRequestSeconds + copyBytesSeconds + writes,
  };
}
