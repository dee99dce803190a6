import { CopyObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { handler, rulesFromEnv } from '../../lambdas/validate-dataset/handler';
import type { ValidationResult } from '../../lambdas/validate-dataset/logic';

const s3 = mockClient(S3Client);
const bus = mockClient(EventBridgeClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  s3.restore();
  bus.restore();
});
/** A GetObject body: the code under test only calls transformToByteArray. */
const body = (text: string) => ({ transformToByteArray: async () => new TextEncoder().encode(text) });
const input = {
  input: { pipeline: 'churn', bucket: 'landing', datasetId: 'my data', prefix: 'churn/my data/', singleObject: false, reason: 'data-drop' },
  executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:sm:churn-x',
  startTime: '2026-11-22T10:00:00.000Z',
};

beforeEach(() => {
  Object.assign(process.env, {
    COLUMNS: JSON.stringify(['label', 'f1']),
    LABEL: 'label',
    MIN_ROWS: '2',
    MAX_BYTES: '1000000',
    MAX_OBJECTS: '100',
    HEAD_BYTES: '65536',
    IGNORE: '["_SUCCESS"]',
    SETTLE: '{"settleSeconds":60,"maxWaitSeconds":7200}',
    PIPELINE_NAME: 'churn',
    LANDING_BUCKET: 'landing',
    ARTIFACTS_BUCKET: 'artifacts',
    RESOURCE_PREFIX: 'mlops-dev-churn',
    QUARANTINE_PREFIX: 'quarantine',
    PROJECT: 'mlops',
    STAGE: 'dev',
    MODEL_PACKAGE_GROUP: 'mlops-dev-churn',
    EVENT_BUS_NAME: 'mlops-dev-lifecycle',
    AWS_REGION: 'eu-west-1',
  });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});
afterEach(() => {
  s3.reset();
  bus.reset();
});

function listing(keys: [string, number][]) {
  s3.on(ListObjectVersionsCommand).resolves({
    IsTruncated: false,
    Versions: keys.flatMap(([Key, Size], i) => [
      { Key, Size, VersionId: `new-${i}`, IsLatest: true, ETag: `"e${i}"` },
      { Key, Size: 1, VersionId: `old-${i}`, IsLatest: false },
    ]),
  });
}

describe('validate-dataset handler', () => {
  it('lists latest versions, reads each file with a ranged GET of that version, snapshots that version, and writes the manifest', async () => {
    listing([['churn/my data/a.csv', 100]]);
    s3.on(GetObjectCommand).resolves({ Body: body('label,f1\n1,2\n0,3\n1,4\n') as never });
    s3.on(PutObjectCommand).resolves({});
    s3.on(CopyObjectCommand).resolves({});
    const out = (await handler(input)) as ValidationResult;
    expect(out.accepted).toBe(true);
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]!.args[0].input).toMatchObject({ Bucket: 'landing', Prefix: 'churn/my data/' });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'landing',
      Key: 'churn/my data/a.csv',
      VersionId: 'new-0',
      Range: 'bytes=0-65535',
    });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([
      'churn/datasets/my data/listed.json',
      expect.stringMatching(/^churn\/runs\/[0-9a-f]{12}\/input\/dataset\.manifest$/),
      expect.stringMatching(/lineage\.json$/),
    ]);
    const run = /^churn\/runs\/([0-9a-f]{12})\//.exec(puts[1]!.Key!)![1];
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'artifacts', Key: `churn/runs/${run}/data/input/a.csv`, CopySource: 'landing/churn%2Fmy%20data%2Fa.csv?versionId=new-0' },
    ]);
    expect(puts[1]).toMatchObject({
      Bucket: 'artifacts',
      ContentType: 'application/json',
      Body: `[{"prefix":"s3://artifacts/churn/runs/${run}/data/input/"},"a.csv"]`,
    });
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'mlops-dev-lifecycle', Source: 'mlops.mlops', DetailType: 'Dataset Accepted' });
    expect(JSON.parse(entry!.Detail!)).toMatchObject({
      kind: 'dataset-accepted',
      executionArn: input.executionArn,
      datasetUri: 's3://landing/churn/my data/',
      datasetId: 'my data',
      files: 1,
      bytes: 100,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('copies rejected files by version with a URL-encoded CopySource', async () => {
    listing([['churn/my data/a+b.csv', 100]]);
    s3.on(GetObjectCommand).resolves({ Body: body('wrong,header\n1,2\n') as never });
    s3.on(CopyObjectCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    const out = (await handler(input)) as ValidationResult;
    expect(out.accepted).toBe(false);
    expect(bus.calls()).toHaveLength(0);
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'landing',
      Key: 'quarantine/churn/my data/a+b.csv',
      CopySource: 'landing/churn%2Fmy%20data%2Fa%2Bb.csv?versionId=new-0',
    });
    expect(s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input.Key).toBe('quarantine/churn/my data/reason.json');
  });

  it('refuses input for another pipeline or bucket before reading anything', async () => {
    const other = { ...input, input: { ...input.input, pipeline: 'fraud', bucket: 'elsewhere', prefix: 'fraud/my data/' } };
    await expect(handler(other)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('input.pipeline: expected "churn", got "fraud"'),
    });
    await expect(handler(other)).rejects.toThrow('input.bucket: expected the landing bucket "landing", got "elsewhere"');
    expect(s3.calls()).toHaveLength(0);
  });

  it('throws a typed error for input that is not a workflow input', async () => {
    await expect(handler({ input: { pipeline: 'churn' } })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses a COLUMNS variable that is not a list of names', () => {
    expect(() => rulesFromEnv({ ...process.env, COLUMNS: '{"a":1}' })).toThrow(
      'environment variable COLUMNS is not valid: Invalid input: expected array, received object',
    );
  });
});
