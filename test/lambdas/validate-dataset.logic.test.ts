import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { headerProblems, inspectCsvHead, parseCsvLine } from '../../lambdas/validate-dataset/csv';
import { fitMetadata, MAX_RETURNED_REASONS, processingManifest, validateDataset } from '../../lambdas/validate-dataset/logic';
import { checkStateData, SFN_MAX_PAYLOAD_BYTES } from '../../offline/limits';

import { ARTIFACTS, COLUMNS, csv, LANDING, rows, setup, task } from '../helpers/validate-fixtures';

describe('csv helpers', () => {
  it('parses quoted fields with commas and escaped quotes', () => {
    expect(parseCsvLine('a,"b, c","say ""hi""", d ')).toEqual(['a', 'b, c', 'say "hi"', 'd']);
  });

  it('strips a byte-order mark and reads CRLF lines', () => {
    expect(inspectCsvHead('\uFEFFlabel,f1,f2\r\n1,2,3\r\n0,1,1\r\n', true)).toEqual({ header: ['label', 'f1', 'f2'], dataLines: 2 });
  });

  it('does not count a possibly cut last line of a partial read', () => {
    expect(inspectCsvHead('label,f1,f2\n1,2,3\n0,1', false).dataLines).toBe(1);
  });

  it('explains how a header differs from the configured columns', () => {
    expect(headerProblems(['f1', 'x', 'f2'], COLUMNS, 'label')).toEqual(['label column "label" is missing', 'unexpected columns: x']);
    expect(headerProblems(['f1', 'label', 'f2'], COLUMNS, 'label')).toEqual([
      'columns are not in the configured order: column 1 is "f1", expected "label" (expected order: label, f1, f2)',
    ]);
    expect(headerProblems(COLUMNS, COLUMNS, 'label')).toEqual([]);
    expect(headerProblems([...COLUMNS, 'f1'], COLUMNS, 'label')).toEqual(['duplicate columns: f1']);
  });
});

describe('validateDataset: accepted', () => {
  it('plans the run: job names, S3 paths, and a processing manifest of exactly the validated files', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(15));
    store.put(LANDING, 'churn/d1/sub/b.csv', csv(15));
    store.put(LANDING, 'churn/d1/', '');
    store.put(LANDING, 'churn/d10/c.csv', csv(15));
    const out = await validateDataset(task(), deps);
    if (!out.accepted) throw new Error(`rejected: ${out.reasons}`);
    expect(out.dataset).toMatchObject({ uri: 's3://landing/churn/d1/', objectCount: 2, estimatedRows: 30 });
    expect(out.jobs.training).toMatch(/^mlops-dev-churn--[0-9a-f]{12}-train$/);
    for (const j of Object.values(out.jobs)) expect(j).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(out.paths.train).toBe(`s3://artifacts/churn/runs/${out.runId}/data/train/`);
    const manifest = JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/dataset.manifest`)!);
    expect(manifest).toEqual([{ prefix: `s3://artifacts/churn/runs/${out.runId}/data/input/` }, 'a.csv', 'sub/b.csv']);
    const lineage = JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/lineage.json`)!);
    expect(lineage.objects.map((o: { key: string; versionId: string }) => [o.key, o.versionId])).toEqual([
      ['churn/d1/a.csv', 'v1'],
      ['churn/d1/sub/b.csv', 'v2'],
    ]);
    expect(lineage.sha256).toBe(out.dataset.sha256);
  });

  it('reads only the first bytes of each file', async () => {
    const { store, deps } = setup({ headBytes: 256 });
    store.put(LANDING, 'churn/d1/big.csv', csv(5000));
    const out = await validateDataset(task(), deps);
    expect(store.headReads).toEqual([{ key: 'churn/d1/big.csv', bytes: 256 }]);
    expect(out.accepted && out.dataset.estimatedRows).toBeGreaterThan(3000);
  });

  it('takes a single object directly under the pipeline as its own dataset', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/snap.csv', csv(30));
    store.put(LANDING, 'churn/snap.csv.bak', 'not part of it');
    const out = await validateDataset(task('snap.csv', true), deps);
    if (!out.accepted) throw new Error(`rejected: ${out.reasons}`);
    expect(out.dataset.objectCount).toBe(1);
    expect(JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/dataset.manifest`)!)).toEqual([
      { prefix: `s3://artifacts/churn/runs/${out.runId}/data/input/` },
      'snap.csv',
    ]);
    expect(store.get(ARTIFACTS, `churn/runs/${out.runId}/data/input/snap.csv`)).toBe(csv(30));
  });

  it('snapshots the accepted files at the versions it checked; later uploads and version expiry change neither the snapshot nor the manifest (#12 items 12-13)', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(15));
    store.put(LANDING, 'churn/d1/sub/b.csv', csv(15));
    const out = await validateDataset(task(), deps);
    if (!out.accepted) throw new Error(`rejected: ${out.reasons}`);
    const snapshot = `churn/runs/${out.runId}/data/input/`;
    expect(out.dataset).toMatchObject({ snapshotUri: `s3://artifacts/${snapshot}`, snapshotRun: out.runId });
    expect(store.copies.map((c) => [c.from.key, c.from.versionId, c.to.key])).toEqual([
      ['churn/d1/a.csv', 'v1', `${snapshot}a.csv`],
      ['churn/d1/sub/b.csv', 'v2', `${snapshot}sub/b.csv`],
    ]);
    store.put(LANDING, 'churn/d1/a.csv', csv(40, 'label,f1,f2,new'));
    store.expireNoncurrent(LANDING);
    expect(store.get(ARTIFACTS, `${snapshot}a.csv`)).toBe(csv(15));
    expect(store.get(ARTIFACTS, `${snapshot}sub/b.csv`)).toBe(csv(15));
    const lineage = JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/lineage.json`)!);
    expect(lineage.snapshot).toBe(`s3://artifacts/${snapshot}`);
  });

  it('a retraining reads the snapshot of the run that accepted its data, not the folder as it is now, and copies nothing', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(30));
    const first = await validateDataset(task(), deps);
    if (!first.accepted) throw new Error(`rejected: ${first.reasons}`);
    store.put(LANDING, 'churn/d1/a.csv', 'garbage that would be rejected\n');
    const copies = store.copies.length;
    const retrain = { ...task(), input: { ...task().input, reason: 'drift', snapshotRun: first.runId }, startTime: '2026-12-01T00:00:00.000Z' };
    const out = await validateDataset(retrain, deps);
    if (!out.accepted) throw new Error(`rejected: ${out.reasons}`);
    expect(out.runId).not.toBe(first.runId);
    expect(out.dataset).toMatchObject({ snapshotUri: first.dataset.snapshotUri, snapshotRun: first.runId, estimatedRows: 30 });
    expect(store.copies.length).toBe(copies);
    expect(JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/dataset.manifest`)!)).toEqual([{ prefix: first.dataset.snapshotUri }, 'a.csv']);
    expect(JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/lineage.json`)!)).toMatchObject({ snapshotOf: first.runId, reason: 'drift' });
  });

  it('a retraining whose snapshot is gone is rejected, saying so', async () => {
    const { deps } = setup();
    const out = await validateDataset({ ...task(), input: { ...task().input, reason: 'drift', snapshotRun: '0123456789ab' } }, deps);
    expect(!out.accepted && out.reasons).toEqual([
      'the snapshot s3://artifacts/churn/runs/0123456789ab/data/input/ of run 0123456789ab holds no data files: drop the dataset again to train on it',
    ]);
  });

  it('gives a different run id to a later execution that reuses the name', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(30));
    const a = await validateDataset(task(), deps);
    const b = await validateDataset({ ...task(), startTime: '2027-03-01T00:00:00.000Z' }, deps);
    expect(a.accepted && b.accepted && a.runId !== b.runId).toBe(true);
  });
});

describe('validateDataset: rejected', () => {
  it('quarantines a dataset with a wrong header, with reason.json, leaving the originals untouched', async () => {
    const { store, log, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(30, 'label,f1,extra'));
    store.put(LANDING, 'churn/d1/sub/b.csv', csv(30));
    const out = await validateDataset(task(), deps);
    expect(out).toEqual({
      accepted: false,
      reasons: ['churn/d1/a.csv: missing columns: f2', 'churn/d1/a.csv: unexpected columns: extra'],
      datasetUri: 's3://landing/churn/d1/',
      quarantineUri: 's3://landing/quarantine/churn/d1/',
    });
    expect(store.keys(LANDING, 'quarantine/')).toEqual(['quarantine/churn/d1/a.csv', 'quarantine/churn/d1/reason.json', 'quarantine/churn/d1/sub/b.csv']);
    expect(store.get(LANDING, 'churn/d1/a.csv')).toBe(csv(30, 'label,f1,extra'));
    const reason = JSON.parse(store.get(LANDING, 'quarantine/churn/d1/reason.json')!);
    expect(reason).toMatchObject({ pipeline: 'churn', datasetId: 'd1', reasons: out.accepted ? [] : out.reasons, rejectedAt: '2026-11-22T10:01:00.000Z' });
    expect(store.copies[0]!.from.versionId).toBe('v1');
    expect(log.entries.some((e) => e.level === 'WARN' && e.message === 'dataset rejected')).toBe(true);
    // Nothing of a run: only the listing that tells the trigger which files arrived late.
    expect(store.keys(ARTIFACTS)).toEqual(['churn/datasets/d1/listed.json']);
    expect(JSON.parse(store.get(ARTIFACTS, 'churn/datasets/d1/listed.json')!).objects).toEqual([
      { key: 'churn/d1/a.csv', versionId: 'v1' },
      { key: 'churn/d1/sub/b.csv', versionId: 'v2' },
    ]);
  });

  it.each([
    ['a non-CSV file', { 'churn/d1/a.csv': csv(30), 'churn/d1/b.parquet': 'PAR1' }, 'churn/d1/b.parquet: only .csv files are accepted'],
    ['an empty file', { 'churn/d1/a.csv': csv(30), 'churn/d1/b.csv': '' }, 'churn/d1/b.csv: the file is empty'],
    ['too few rows', { 'churn/d1/a.csv': csv(5) }, 'about 5 data rows, fewer than the required 20 (dataset.minRows)'],
    [
      'columns out of order, naming the first one out of place',
      { 'churn/d1/a.csv': csv(30, 'label,f2,f1') },
      'churn/d1/a.csv: columns are not in the configured order: column 2 is "f2", expected "f1" (expected order: label, f1, f2)',
    ],
    [
      'a gzip file',
      { 'churn/d1/a.csv': csv(30), 'churn/d1/b.csv.gz': gzipSync(csv(30)) },
      'churn/d1/b.csv.gz: compressed files are not accepted: upload the uncompressed .csv',
    ],
    [
      'gzip content named .csv',
      { 'churn/d1/a.csv': csv(30), 'churn/d1/b.csv': gzipSync(csv(30)) },
      'churn/d1/b.csv: is gzip-compressed: upload the uncompressed .csv',
    ],
    [
      'binary content named .csv',
      { 'churn/d1/a.csv': csv(30), 'churn/d1/b.csv': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x00]) },
      'churn/d1/b.csv: is not UTF-8 text (binary content or another encoding): save it as UTF-8 CSV',
    ],
    [
      'Latin-1 text named .csv',
      { 'churn/d1/a.csv': Buffer.from(`${csv(30)}caf\xe9`, 'latin1') },
      'churn/d1/a.csv: is not UTF-8 text (binary content or another encoding): save it as UTF-8 CSV',
    ],
    ['a missing label', { 'churn/d1/a.csv': csv(30, 'f1,f2') }, 'churn/d1/a.csv: label column "label" is missing'],
  ])('rejects %s with a reason naming the file and the rule', async (_, files, reason) => {
    const { store, deps } = setup();
    for (const [k, v] of Object.entries(files)) store.put(LANDING, k, v);
    const out = await validateDataset(task(), deps);
    expect(out.accepted).toBe(false);
    expect(!out.accepted && out.reasons).toContain(reason);
    // One line per reason, printable: never the file's bytes.
    for (const r of out.accepted ? [] : out.reasons) expect(r).toMatch(/^[\x20-\x7e…]+$/);
  });

  it('accepts UTF-8 text that holds U+FFFD itself, and a multi-byte character cut by the partial read (#12 review)', async () => {
    const { store, deps } = setup({ headBytes: 64 });
    // A valid UTF-8 file may contain the replacement character as text; only bytes that do not decode are "not UTF-8".
    // 12 + 8 × 6 + 3 bytes, then "é" (2 bytes) straddles the 64-byte head read.
    store.put(LANDING, 'churn/d1/b.csv', `label,f1,f2\n${'1,2,3\n'.repeat(8)}0,1\u00e9,2\n${rows(30)}\n`);
    store.put(LANDING, 'churn/d1/c.csv', `label,f1,f2\n1,2,3\n0,\uFFFD,1\n${rows(30)}\n`);
    const out = await validateDataset(task(), deps);
    expect(!out.accepted && out.reasons).toBe(false);
  });

  it("does not count tools' by-products toward dataset.maxObjects (Spark writes a .crc beside each part)", async () => {
    const { store, deps } = setup({ maxObjects: 3 });
    for (let i = 0; i < 3; i++) {
      store.put(LANDING, `churn/d1/part-${i}.csv`, csv(10));
      store.put(LANDING, `churn/d1/.part-${i}.csv.crc`, '');
    }
    const out = await validateDataset(task(), deps);
    expect(out.accepted ? out.dataset : out.reasons).toMatchObject({ objectCount: 3, ignoredObjects: 3 });
  });

  it("leaves out tools' by-products (Spark, Glue, Hadoop, laptops) and names them in the lineage", async () => {
    const { store, deps } = setup();
    const data = { 'churn/d1/part-0000.csv': csv(15), 'churn/d1/part-0001.csv': csv(15) };
    const junk = ['churn/d1/_SUCCESS', 'churn/d1/.part-0000.csv.crc', 'churn/d1/_committed_123', 'churn/d1/.DS_Store', 'churn/d1/_temporary/0/part-9.csv'];
    for (const [k, v] of Object.entries(data)) store.put(LANDING, k, v);
    for (const k of junk) store.put(LANDING, k, k.endsWith('.csv') ? 'garbage' : '');
    const out = await validateDataset(task(), deps);
    if (!out.accepted) throw new Error(`rejected: ${out.reasons.join('; ')}`);
    expect(out.dataset).toMatchObject({ objectCount: 2, ignoredObjects: 5 });
    expect(JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/lineage.json`)!).ignored.sort()).toEqual([...junk].sort());
    expect(JSON.parse(store.get(ARTIFACTS, `churn/runs/${out.runId}/input/dataset.manifest`)!).slice(1)).toEqual(['part-0000.csv', 'part-0001.csv']);
  });

  it('rejects a dataset with more objects than allowed, and one larger than allowed', async () => {
    const many = setup({ maxObjects: 3 });
    for (let i = 0; i < 5; i++) many.store.put(LANDING, `churn/d1/p${i}.csv`, csv(10));
    const a = await validateDataset(task(), many.deps);
    expect(!a.accepted && a.reasons).toContain('more than 3 objects (dataset.maxObjects)');
    const big = setup({ maxBytes: 100 });
    big.store.put(LANDING, 'churn/d1/a.csv', csv(30));
    const b = await validateDataset(task(), big.deps);
    expect(!b.accepted && b.reasons[0]).toMatch(/^\d+ bytes in all, more than the limit of 100 \(dataset\.maxBytes\)$/);
  });

  it('returns a summary within the Step Functions state limit for 1000 rejected files with long keys, every reason in reason.json', async () => {
    const { store, deps } = setup({ maxObjects: 1000 });
    const key = (i: number) => `churn/d1/${'k'.repeat(1000)}-${String(i).padStart(4, '0')}.parquet`;
    for (let i = 0; i < 1000; i++) store.put(LANDING, key(i), 'PAR1');
    const out = await validateDataset(task(), deps);
    if (out.accepted) throw new Error('expected a rejection');
    const reason = JSON.parse(store.get(LANDING, 'quarantine/churn/d1/reason.json')!);
    expect(reason.reasons).toHaveLength(1000);
    expect(Buffer.byteLength(JSON.stringify(reason.reasons))).toBeGreaterThan(SFN_MAX_PAYLOAD_BYTES);
    expect(() => checkStateData('Validate', JSON.stringify({ validation: out }))).not.toThrow();
    expect(out.reasons).toHaveLength(MAX_RETURNED_REASONS);
    expect(out.reasons[0]).toBe(`${key(0)}: only .csv files are accepted`);
    expect(out.reasons.at(-1)).toBe('… and 981 more reasons: every reason is in s3://landing/quarantine/churn/d1/reason.json');
  });

  it('clips one very long reason to 1500 characters', async () => {
    const { store, deps } = setup();
    store.put(LANDING, 'churn/d1/a.csv', csv(30, ['label', 'f1', 'f2', ...Array.from({ length: 400 }, (_, i) => `extra_${i}`)].join(',')));
    const out = await validateDataset(task(), deps);
    expect(!out.accepted && out.reasons[0]!.length).toBe(1500);
    expect(!out.accepted && out.reasons[0]!.endsWith('…')).toBe(true);
  });

  it('rejects a dataset whose files are gone, saying so', async () => {
    const { deps } = setup();
    const out = await validateDataset(task(), deps);
    expect(!out.accepted && out.reasons).toEqual(["no data files found (tools' by-products such as _SUCCESS are ignored: dataset.ignore)"]);
  });
});

describe('metadata helpers', () => {
  it('writes a manifest as the common prefix, then each key relative to it', () => {
    expect(processingManifest('s3://b/p/runs/r/data/input/', ['x.csv', 'part/y.csv'])).toBe('[{"prefix":"s3://b/p/runs/r/data/input/"},"x.csv","part/y.csv"]');
  });

  it('cuts metadata values to 256 characters', () => {
    expect(fitMetadata('x'.repeat(300))).toHaveLength(256);
    expect(fitMetadata('short')).toBe('short');
  });
});
