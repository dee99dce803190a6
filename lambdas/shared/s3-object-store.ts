import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mapLimit } from './concurrency';
import { PARTS_IN_FLIGHT } from './validation-budget';
import type { ObjectRef, ObjectStore, StoredObject } from './object-store';

/** Objects above this are copied in parallel parts (UploadPartCopy, at most 10,000 parts of ≤ 5 GiB): faster than one long CopyObject, which copies at most 5 GiB. */
const MULTIPART_COPY_ABOVE = 1024 ** 3;
/** Bytes per ranged GET while hashing: one range in memory at a time. */
const HASH_RANGE_BYTES = 64 * 1024 ** 2;
const PART_BYTES = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;

/** {@link ObjectStore} over the S3 API. Lists with ListObjectVersions to learn version ids. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async exists(bucket: string, key: string): Promise<boolean> {
    return (await this.sizeOf(bucket, key)) !== undefined;
  }

  async sizeOf(bucket: string, key: string): Promise<number | undefined> {
    try {
      return (await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NotFound') return undefined;
      throw e;
    }
  }

  async list(bucket: string, prefix: string, limit: number): Promise<{ objects: StoredObject[]; truncated: boolean }> {
    const objects: StoredObject[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      for (const v of out.Versions ?? []) {
        if (!v.IsLatest || v.Key === undefined) continue;
        if (objects.length === limit) return { objects, truncated: true };
        objects.push({ key: v.Key, size: v.Size ?? 0, versionId: v.VersionId, etag: v.ETag?.replace(/"/g, ''), lastModified: v.LastModified?.toISOString() });
      }
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker;
    }
    return { objects, truncated: false };
  }

  async uploadsInProgress(bucket: string, prefix: string): Promise<number> {
    const out = await this.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, MaxUploads: 1000 }));
    return out.Uploads?.length ?? 0;
  }

  async readHead(ref: ObjectRef, bytes: number): Promise<Uint8Array> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Range: `bytes=0-${bytes - 1}` }));
    return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
  }

  async readText(ref: ObjectRef): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  }

  async sha256(ref: ObjectRef, size: number): Promise<string> {
    const hash = createHash('sha256');
    for (let first = 0; first < size; first += HASH_RANGE_BYTES) {
      const last = Math.min(size, first + HASH_RANGE_BYTES) - 1;
      const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Range: `bytes=${first}-${last}` }));
      hash.update((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    }
    return hash.digest('hex');
  }

  async copy(from: ObjectRef, to: ObjectRef, size?: number): Promise<void> {
    const source = `${from.bucket}/${encodeURIComponent(from.key)}${from.versionId && from.versionId !== 'null' ? `?versionId=${encodeURIComponent(from.versionId)}` : ''}`;
    if (size === undefined || size <= MULTIPART_COPY_ABOVE) {
      await this.s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source }));
      return;
    }
    const partBytes = Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS));
    const ranges = Array.from({ length: Math.ceil(size / partBytes) }, (_, i) => [i * partBytes, Math.min(size, (i + 1) * partBytes) - 1] as const);
    const target = { Bucket: to.bucket, Key: to.key };
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand(target));
    try {
      const parts = await mapLimit(ranges, PARTS_IN_FLIGHT, async ([first, last], i) => {
        const out = await this.s3.send(
          new UploadPartCopyCommand({ ...target, UploadId, PartNumber: i + 1, CopySource: source, CopySourceRange: `bytes=${first}-${last}` }),
        );
        return { PartNumber: i + 1, ETag: out.CopyPartResult?.ETag };
      });
      await this.s3.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (e) {
      // Parts already copied would be billed until the bucket's abort-incomplete-uploads rule; abort now
      // (mapLimit rejects only once every part in flight has settled, so none lands after the abort).
      await this.s3.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw e;
    }
  }

  async putText(ref: ObjectRef, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType }));
  }

  async putIfAbsent(ref: ObjectRef, body: string, contentType: string): Promise<boolean> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || (e as Error).name === 'PreconditionFailed') return false;
      throw e;
    }
  }
}
