import { describe, expect, it } from 'vitest';
import { candidateKeys, datasetForKey, type LateFilesNotice, onObjectCreated, type ReuploadNotice } from '../../lambdas/dataset-trigger/logic';
import { memoryLogger } from '../../lambdas/shared/logger';
import { executionName, workflowInputProblems } from '../../lambdas/shared/run';
import { FakeStepFunctions } from '../helpers/fake-sfn';
import { MemoryObjectStore } from '../../offline/memory-store';

const BUCKET = 'landing';
const PIPE = 'churn';

const ARTIFACTS = 'artifacts';

function setup() {
  const store = new MemoryObjectStore();
  const sfn = new FakeStepFunctions();
  const log = memoryLogger();
  const notices: ReuploadNotice[] = [];
  const late: LateFilesNotice[] = [];
  let today = new Date('2026-11-22T10:00:00Z');
  const deps = {
    pipeline: PIPE,
    landingBucket: BUCKET,
    artifactsBucket: ARTIFACTS,
    store,
    starter: sfn,
    log,
    notifyReupload: async (n: ReuploadNotice) => void notices.push(n),
    notifyLate: async (n: LateFilesNotice) => void late.push(n),
    ignore: ['_SUCCESS', '*.crc'],
    now: () => today,
  };
  return { store, sfn, log, deps, notices, late, later: (days: number) => (today = new Date(today.getTime() + days * 86_400_000)) };
}

describe('datasetForKey', () => {
  it.each([
    ['churn/2026-11/part-1.csv', { datasetId: '2026-11', prefix: 'churn/2026-11/', singleObject: false }],
    ['churn/2026-11/nested/dir/part-2.csv', { datasetId: '2026-11', prefix: 'churn/2026-11/', singleObject: false }],
    ['churn/snapshot.csv', { datasetId: 'snapshot.csv', prefix: 'churn/snapshot.csv', singleObject: true }],
    ['churn/données été/a b.csv', { datasetId: 'données été', prefix: 'churn/données été/', singleObject: false }],
  ])('maps %s to its dataset', (key, expected) => {
    const d = datasetForKey(key, PIPE, BUCKET);
    expect(d).toEqual({ kind: 'dataset', input: { pipeline: PIPE, bucket: BUCKET, reason: 'data-drop', ...expected } });
  });

  it.each([
    ['other/2026/x.csv', 'outside the pipeline prefix'],
    ['churnx/a.csv', 'outside the pipeline prefix'],
    ['quarantine/churn/a/x.csv', 'outside the pipeline prefix'],
    ['churn/2026/', 'folder placeholder'],
    ['churn/../etc/x.csv', '".." path segment'],
    ['churn/a//x.csv', 'empty, "." or ".." path segment'],
    ['churn/./x.csv', 'path segment'],
    ['churn/a\u0000b/x.csv', 'control characters'],
  ])('ignores %s with a reason', (key, reason) => {
    const d = datasetForKey(key, PIPE, BUCKET);
    expect(d.kind).toBe('ignored');
    expect(d.kind === 'ignored' && d.reason).toContain(reason);
  });
});

describe('candidateKeys', () => {
  it('decodes S3 notification encoding first, then keeps the raw key', () => {
    expect(candidateKeys('churn/my+data/a%C3%A9.csv')).toEqual(['churn/my data/aé.csv', 'churn/my+data/a%C3%A9.csv']);
  });

  it('keeps a key unchanged when there is nothing to decode', () => {
    expect(candidateKeys('churn/2026/part-1.csv')).toEqual(['churn/2026/part-1.csv']);
  });

  it('treats a lone percent sign as a raw key', () => {
    expect(candidateKeys('churn/100%/x.csv')).toEqual(['churn/100%/x.csv']);
  });
});

describe('executionName', () => {
  it('is deterministic, at most 80 characters, and only uses allowed characters', () => {
    const ids = ['2026-11', 'a b c', 'données', '../../x', 'x'.repeat(500), '💥', '<>{}[]?*"#%\\^|~`$&,;:/'];
    for (const id of ids) {
      const name = executionName('a-twenty-four-char-name1', id);
      expect(name).toBe(executionName('a-twenty-four-char-name1', id));
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('tells apart dataset ids that look alike once sanitized', () => {
    expect(executionName(PIPE, 'a b')).not.toBe(executionName(PIPE, 'a-b'));
    expect(executionName(PIPE, 'a b')).toMatch(/^churn-a-b-[0-9a-f]{16}$/);
  });
});

describe('onObjectCreated', () => {
  it('starts one run when the same event is delivered twice', async () => {
    const { sfn, deps } = setup();
    const first = await onObjectCreated(BUCKET, 'churn/d1/part-1.csv', deps);
    const second = await onObjectCreated(BUCKET, 'churn/d1/part-1.csv', deps);
    expect(first).toMatchObject({ action: 'started', datasetId: 'd1' });
    expect(second.action).toBe('already-started');
    expect(sfn.executions.size).toBe(1);
  });

  it('starts one run for all files of one upload, and records it in the dataset ledger', async () => {
    const { sfn, store, deps, notices } = setup();
    for (let i = 0; i < 5; i++) await onObjectCreated(BUCKET, `churn/d1/part-${i}.csv`, deps);
    expect(sfn.executions.size).toBe(1);
    expect(JSON.parse(store.get(ARTIFACTS, 'churn/datasets/d1/run.json')!)).toMatchObject({
      executionArn: expect.stringMatching(/:execution:training:churn-d1-/),
      firstKey: 'churn/d1/part-0.csv',
    });
    expect(notices).toEqual([]);
  });

  describe('files that land after the running run listed its dataset (#17 A)', () => {
    /** The run started by part-1 has listed part-1 and part-2 (as its validation records it). */
    const listed = async () => {
      const t = setup();
      const v1 = t.store.put(BUCKET, 'churn/d1/part-1.csv', 'a');
      const v2 = t.store.put(BUCKET, 'churn/d1/part-2.csv', 'b');
      await onObjectCreated(BUCKET, 'churn/d1/part-1.csv', t.deps, v1);
      const objects = [
        { key: 'churn/d1/part-1.csv', versionId: v1 },
        { key: 'churn/d1/part-2.csv', versionId: v2 },
      ];
      t.store.put(ARTIFACTS, 'churn/datasets/d1/listed.json', JSON.stringify({ executionArn: 'x', objects }));
      return { ...t, v2 };
    };

    it('belong to the run while it has not listed yet: nothing is reported', async () => {
      const { store, deps, late } = setup();
      await onObjectCreated(BUCKET, 'churn/d1/part-1.csv', deps);
      const v = store.put(BUCKET, 'churn/d1/part-2.csv', 'b');
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-2.csv', deps, v)).toMatchObject({ action: 'already-started' });
      expect(late).toEqual([]);
    });

    it('are reported once per dataset, naming every late file found, and the run goes on alone', async () => {
      const { store, deps, late, sfn } = await listed();
      const v3 = store.put(BUCKET, 'churn/d1/part-3.csv', 'c');
      store.put(BUCKET, 'churn/d1/part-4.csv', 'd');
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-3.csv', deps, v3)).toMatchObject({ action: 'late', datasetId: 'd1' });
      const v5 = store.put(BUCKET, 'churn/d1/part-5.csv', 'e');
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-5.csv', deps, v5)).toMatchObject({ action: 'late' });
      expect(late).toEqual([
        {
          datasetId: 'd1',
          datasetUri: 's3://landing/churn/d1/',
          executionArn: expect.stringMatching(/churn-d1-/),
          lateKeys: ['churn/d1/part-3.csv', 'churn/d1/part-4.csv'],
          lateCount: 2,
        },
      ]);
      expect(sfn.executions.size).toBe(1);
    });

    it('a batch of late files handled in parallel sends one e-mail; a claim whose sender failed is taken over later', async () => {
      const { store, deps, late } = await listed();
      const versions = [3, 4, 5].map((i) => [`churn/d1/part-${i}.csv`, store.put(BUCKET, `churn/d1/part-${i}.csv`, 'x')] as const);
      await Promise.all(versions.map(([k, v]) => onObjectCreated(BUCKET, k, deps, v)));
      expect(late).toHaveLength(1);
      // A sender that died after claiming: its claim goes stale, and the next late file reports.
      const t = await listed();
      const failing = { ...t.deps, notifyLate: async () => Promise.reject(new Error('SNS down')) };
      const v = t.store.put(BUCKET, 'churn/d1/part-9.csv', 'x');
      await expect(onObjectCreated(BUCKET, 'churn/d1/part-9.csv', failing, v)).rejects.toThrow('SNS down');
      // Within 5 minutes the claim stands (its sender may still be at work): no second e-mail yet.
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-9.csv', t.deps, v)).toMatchObject({ action: 'late' });
      expect(t.late).toEqual([]);
      t.later(1);
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-9.csv', t.deps, v)).toMatchObject({ action: 'late' });
      expect(t.late).toHaveLength(1);
    });

    it('a listed file overwritten with new content is late too; a repeated event for a listed version and a by-product are not', async () => {
      const { store, deps, late, v2 } = await listed();
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-2.csv', deps, v2)).toMatchObject({ action: 'already-started' });
      const crc = store.put(BUCKET, 'churn/d1/.part-2.csv.crc', 'x');
      expect(await onObjectCreated(BUCKET, 'churn/d1/.part-2.csv.crc', deps, crc)).toMatchObject({ action: 'already-started' });
      expect(late).toEqual([]);
      const v2b = store.put(BUCKET, 'churn/d1/part-2.csv', 'B');
      expect(await onObjectCreated(BUCKET, 'churn/d1/part-2.csv', deps, v2b)).toMatchObject({ action: 'late' });
      expect(late[0]!.lateKeys).toEqual(['churn/d1/part-2.csv']);
    });
  });

  it('starts nothing for a re-upload after the run, and tells the data scientist once a day, not once a file', async () => {
    const { sfn, deps, notices, later } = setup();
    await onObjectCreated(BUCKET, 'churn/d1/part-0.csv', deps);
    sfn.executions.get(executionName(PIPE, 'd1'))!.status = 'SUCCEEDED';
    for (let i = 0; i < 3; i++)
      expect(await onObjectCreated(BUCKET, `churn/d1/again-${i}.csv`, deps)).toMatchObject({ action: 'already-trained', datasetId: 'd1' });
    expect(sfn.executions.size).toBe(1);
    expect(notices).toEqual([
      { datasetId: 'd1', datasetUri: 's3://landing/churn/d1/', key: 'churn/d1/again-0.csv', executionArn: expect.stringMatching(/churn-d1-/) },
    ]);
    later(1);
    await onObjectCreated(BUCKET, 'churn/d1/next-day.csv', deps);
    expect(notices).toHaveLength(2);
  });

  it('behaves the same after Step Functions forgets the run (90 days after it closed): still nothing starts', async () => {
    const { sfn, deps, notices, later } = setup();
    await onObjectCreated(BUCKET, 'churn/d1/part-0.csv', deps);
    const name = executionName(PIPE, 'd1');
    sfn.executions.get(name)!.status = 'SUCCEEDED';
    sfn.purged.add(name);
    later(91);
    expect(await onObjectCreated(BUCKET, 'churn/d1/much-later.csv', deps)).toMatchObject({ action: 'already-trained' });
    expect(sfn.calls).toEqual([name]);
    expect(notices).toHaveLength(1);
  });

  it('keeps starting nothing new while the run still runs: late files of the same upload are not a re-upload', async () => {
    const { sfn, deps, notices } = setup();
    await onObjectCreated(BUCKET, 'churn/d1/part-0.csv', deps);
    expect(await onObjectCreated(BUCKET, 'churn/d1/part-9.csv', deps)).toMatchObject({ action: 'already-started' });
    expect(sfn.executions.size).toBe(1);
    expect(notices).toEqual([]);
  });

  it('ignores a key outside the pipeline and logs why', async () => {
    const { sfn, log, deps } = setup();
    expect(await onObjectCreated(BUCKET, 'fraud/d1/x.csv', deps)).toEqual({ action: 'ignored', reason: 'key is outside the pipeline prefix "churn/"' });
    expect(sfn.calls).toEqual([]);
    expect(log.entries).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'object ignored', data: expect.objectContaining({ key: 'fraud/d1/x.csv' }) }),
    ]);
  });

  it('ignores events of another bucket', async () => {
    const { sfn, deps } = setup();
    expect((await onObjectCreated('elsewhere', 'churn/d1/x.csv', deps)).action).toBe('ignored');
    expect(sfn.calls).toEqual([]);
  });

  it('finds the real object behind a URL-encoded key with spaces', async () => {
    const { store, sfn, deps } = setup();
    store.put(BUCKET, 'churn/my data/été.csv', 'a,b\n');
    const out = await onObjectCreated(BUCKET, 'churn/my+data/%C3%A9t%C3%A9.csv', deps);
    expect(out).toMatchObject({ action: 'started', datasetId: 'my data' });
    expect([...sfn.executions.values()][0]!.input).toContain('"prefix":"churn/my data/"');
  });

  it('uses the raw key when that is the one that exists (a literal plus sign)', async () => {
    const { store, deps } = setup();
    store.put(BUCKET, 'churn/c++/x.csv', 'a,b\n');
    expect(await onObjectCreated(BUCKET, 'churn/c++/x.csv', deps)).toMatchObject({ action: 'started', datasetId: 'c++' });
  });

  it('ignores a key whose object no longer exists under either reading', async () => {
    const { sfn, deps } = setup();
    expect(await onObjectCreated(BUCKET, 'churn/a+b/x.csv', deps)).toMatchObject({ action: 'ignored', reason: expect.stringContaining('no longer exists') });
    expect(sfn.calls).toEqual([]);
  });

  it('ignores a path-traversal key instead of starting a run on it', async () => {
    const { sfn, deps } = setup();
    expect((await onObjectCreated(BUCKET, 'churn/../secrets/x.csv', deps)).action).toBe('ignored');
    expect(sfn.calls).toEqual([]);
  });
});

describe('workflowInputProblems: the validator checks the trigger contract', () => {
  it.each(['churn/2026-11-22/a.csv', 'churn/x.csv', 'churn/my data/sub/dir/f.csv', 'churn/ünï cödé/f.csv'])(
    'accepts what the trigger derives from %s',
    (key) => {
      const d = datasetForKey(key, PIPE, BUCKET);
      if (d.kind !== 'dataset') throw new Error(`expected a dataset for ${key}`);
      expect(workflowInputProblems(d.input, { pipeline: PIPE, bucket: BUCKET })).toEqual([]);
    },
  );

  it('names each wrong field with the expected and the actual value', () => {
    const input = { pipeline: 'fraud', bucket: 'other', datasetId: 'd', prefix: 'churn/d', singleObject: false, reason: 'manual' };
    expect(workflowInputProblems(input, { pipeline: PIPE, bucket: BUCKET })).toEqual([
      'input.pipeline: expected "churn", got "fraud"',
      'input.bucket: expected the landing bucket "landing", got "other"',
      'input.prefix: expected "churn/d/" for dataset "d" (singleObject false), got "churn/d"',
    ]);
  });
});
