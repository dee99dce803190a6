/** What the Lambdas need from S3; logic depends on this port, not on the SDK. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  /** `"null"` in an unversioned bucket. */
  readonly versionId?: string;
  readonly etag?: string;
  /** ISO 8601, as S3 reports it. */
  readonly lastModified?: string;
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface ObjectStore {
  /** True when the object exists (current version). */
  exists(bucket: string, key: string): Promise<boolean>;
  /** The current version's size in bytes, or undefined when there is no such object. */
  sizeOf(bucket: string, key: string): Promise<number | undefined>;
  /** Current versions under a prefix, in key order, at most `limit` (+ whether more exist). */
  list(bucket: string, prefix: string, limit: number): Promise<{ objects: StoredObject[]; truncated: boolean }>;
  /** The first `bytes` bytes of an object, raw (a ranged GET): the caller decides whether they are text. */
  readHead(ref: ObjectRef, bytes: number): Promise<Uint8Array>;
  readText(ref: ObjectRef): Promise<string>;
  /** The SHA-256 of an object of `size` bytes, in hexadecimal, read in ranges (memory stays bounded however large it is). */
  sha256(ref: ObjectRef, size: number): Promise<string>;
  /** A server-side copy; `size` (bytes) lets a store copy objects over 5 GiB in parts. */
  copy(from: ObjectRef, to: ObjectRef, size?: number): Promise<void>;
  putText(ref: ObjectRef, body: string, contentType: string): Promise<void>;
  /** Writes only when no object has the key yet (S3 conditional write, If-None-Match: *); false when one had. */
  putIfAbsent(ref: ObjectRef, body: string, contentType: string): Promise<boolean>;
  /** Multipart uploads under a prefix that have not completed or been aborted (their objects are not listed yet), up to 1000. */
  uploadsInProgress(bucket: string, prefix: string): Promise<number>;
}

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/** Splits `s3://bucket/key`; throws on anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}
