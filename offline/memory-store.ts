import { createHash } from 'node:crypto';
import type { ObjectRef, ObjectStore, StoredObject } from '../lambdas/shared/object-store';

type Version = { body: Buffer; versionId: string; contentType?: string; lastModified: string };

/** An in-memory, versioned {@link ObjectStore} for logic tests and offline workflow runs. */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Version>();
  /** Noncurrent versions, by `bucket/key`, until {@link expireNoncurrent} (a lifecycle rule) removes them. */
  private readonly noncurrent = new Map<string, Version[]>();
  private version = 0;
  readonly copies: { from: ObjectRef; to: ObjectRef }[] = [];
  readonly headReads: { key: string; bytes: number }[] = [];
  /** Multipart uploads in progress, by `bucket/key` (a test starts one; completing it is a put). */
  readonly uploading = new Set<string>();
  /** The clock that stamps LastModified (the offline cloud's simulated time). */
  clock: () => Date = () => new Date();

  put(bucket: string, key: string, body: string | Buffer, contentType?: string): string {
    const versionId = `v${++this.version}`;
    const current = this.objects.get(`${bucket}/${key}`);
    if (current) this.noncurrent.set(`${bucket}/${key}`, [...(this.noncurrent.get(`${bucket}/${key}`) ?? []), current]);
    this.objects.set(`${bucket}/${key}`, {
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      versionId,
      contentType,
      lastModified: this.clock().toISOString(),
    });
    return versionId;
  }

  get(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString('utf8');
  }

  /** The current version's bytes, or with `versionId` that version's (current or noncurrent); undefined when there is none. */
  getBuffer(bucket: string, key: string, versionId?: string): Buffer | undefined {
    try {
      return this.require({ bucket, key, versionId }).body;
    } catch {
      return undefined;
    }
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  async exists(bucket: string, key: string): Promise<boolean> {
    return this.objects.has(`${bucket}/${key}`);
  }

  async sizeOf(bucket: string, key: string): Promise<number | undefined> {
    return this.getBuffer(bucket, key)?.length;
  }

  async list(bucket: string, prefix: string, limit: number): Promise<{ objects: StoredObject[]; truncated: boolean }> {
    const all = this.keys(bucket, prefix).map((key) => {
      const o = this.objects.get(`${bucket}/${key}`)!;
      return { key, size: o.body.length, versionId: o.versionId, etag: `etag-${o.versionId}`, lastModified: o.lastModified };
    });
    return { objects: all.slice(0, limit), truncated: all.length > limit };
  }

  async uploadsInProgress(bucket: string, prefix: string): Promise<number> {
    return [...this.uploading].filter((k) => k.startsWith(`${bucket}/${prefix}`)).length;
  }

  async readHead(ref: ObjectRef, bytes: number): Promise<Uint8Array> {
    this.headReads.push({ key: ref.key, bytes });
    return new Uint8Array(this.require(ref).body.subarray(0, bytes));
  }

  async readText(ref: ObjectRef): Promise<string> {
    return this.require(ref).body.toString('utf8');
  }

  async sha256(ref: ObjectRef): Promise<string> {
    const body = this.getBuffer(ref.bucket, ref.key, ref.versionId);
    if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return createHash('sha256').update(body).digest('hex');
  }

  async copy(from: ObjectRef, to: ObjectRef): Promise<void> {
    this.copies.push({ from, to });
    this.put(to.bucket, to.key, this.require(from).body);
  }

  async putText(ref: ObjectRef, body: string, contentType: string): Promise<void> {
    this.put(ref.bucket, ref.key, body, contentType);
  }

  async putIfAbsent(ref: ObjectRef, body: string, contentType: string): Promise<boolean> {
    if (this.objects.has(`${ref.bucket}/${ref.key}`)) return false;
    this.put(ref.bucket, ref.key, body, contentType);
    return true;
  }

  /** What a noncurrent-version expiration rule does in the end: every earlier version of the keys under `prefix` is gone. */
  expireNoncurrent(bucket: string, prefix = ''): void {
    for (const k of [...this.noncurrent.keys()]) if (k.startsWith(`${bucket}/${prefix}`)) this.noncurrent.delete(k);
  }

  /** The current version, or with `versionId` that version (current or noncurrent), as S3 answers a GET. */
  private require(ref: ObjectRef) {
    const o = this.objects.get(`${ref.bucket}/${ref.key}`);
    if (!o) throw Object.assign(new Error(`NoSuchKey: ${ref.bucket}/${ref.key}`), { name: 'NoSuchKey' });
    if (ref.versionId === undefined || ref.versionId === o.versionId) return o;
    const old = this.noncurrent.get(`${ref.bucket}/${ref.key}`)?.find((v) => v.versionId === ref.versionId);
    if (!old) throw Object.assign(new Error(`NoSuchVersion: ${ref.bucket}/${ref.key}?versionId=${ref.versionId}`), { name: 'NoSuchVersion' });
    return old;
  }
}
