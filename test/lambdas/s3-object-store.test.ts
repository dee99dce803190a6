import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mapLimit } from '../../lambdas/shared/concurrency';
import { S3ObjectStore } from '../../lambdas/shared/s3-object-store';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
afterAll(() => s3.restore());
const GiB = 1024 ** 3;
const from = { bucket: 'landing', key: 'churn/d1/big.csv', versionId: 'v7' };
const to = { bucket: 'artifacts', key: 'churn/runs/r/data/input/big.csv' };

describe('S3ObjectStore.copy', () => {
  it('copies up to 1 GiB with one CopyObject of the given version', async () => {
    s3.on(CopyObjectCommand).resolves({});
    await new S3ObjectStore(new S3Client({})).copy(from, to, GiB);
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'artifacts', Key: to.key, CopySource: 'landing/churn%2Fd1%2Fbig.csv?versionId=v7' },
    ]);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('copies a larger object (here over the 5 GiB CopyObject limit) in 512 MiB parts that cover every byte once, then completes them in order', async () => {
    const size = 6 * GiB + 5;
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCopyCommand).callsFake((i) => ({ CopyPartResult: { ETag: `"p${i.PartNumber}"` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    await new S3ObjectStore(new S3Client({})).copy(from, to, size);
    const parts = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input);
    expect(parts).toHaveLength(13);
    expect(parts.every((p) => p.CopySource === 'landing/churn%2Fd1%2Fbig.csv?versionId=v7' && p.UploadId === 'u1')).toBe(true);
    const ranges = parts.map((p) => /^bytes=(\d+)-(\d+)$/.exec(p.CopySourceRange!)!.slice(1).map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
    expect(ranges[0]![0]).toBe(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
    expect(ranges.at(-1)![1]).toBe(size - 1);
    const done = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect(done.MultipartUpload!.Parts!.map((p) => p.PartNumber)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(done.MultipartUpload!.Parts![0]!.ETag).toBe('"p1"');
  });

  it('aborts the upload when a part fails, and reports the failure', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    s3.on(UploadPartCopyCommand).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
    s3.on(AbortMultipartUploadCommand).resolves({});
    await expect(new S3ObjectStore(new S3Client({})).copy(from, to, 6 * GiB)).rejects.toThrow('SlowDown');
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: 'artifacts', Key: to.key, UploadId: 'u2' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and the results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('rejects only once the calls in flight have settled, so a cleanup after it races none of them', async () => {
    const settled: number[] = [];
    await expect(
      mapLimit([1, 30], 2, async (n) => {
        if (n === 1) throw new Error('first fails fast');
        await new Promise((r) => setTimeout(r, n));
        settled.push(n);
      }),
    ).rejects.toThrow('first fails fast');
    expect(settled).toEqual([30]);
  });

  it('starts nothing new after a failure', async () => {
    const started: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});
