import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef, ObjectStore, StoredObject } from './object-store';

/** {@link ObjectStore} over the S3 API. Lists with ListObjectVersions to learn version ids. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NotFound') return false;
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
        objects.push({ key: v.Key, size: v.Size ?? 0, versionId: v.VersionId, etag: v.ETag?.replace(/"/g, '') });
      }
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker;
    }
    return { objects, truncated: false };
  }

  async readHead(ref: ObjectRef, bytes: number): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Range: `bytes=0-${bytes - 1}` }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  }

  async readText(ref: ObjectRef): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  }

  async copy(from: ObjectRef, to: ObjectRef): Promise<void> {
    const source = `${from.bucket}/${encodeURIComponent(from.key)}${from.versionId && from.versionId !== 'null' ? `?versionId=${encodeURIComponent(from.versionId)}` : ''}`;
    await this.s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source }));
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
