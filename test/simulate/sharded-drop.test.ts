import { beforeAll, expect, it } from 'vitest';
import { playShardedDrop, type ShardedDropResult } from '../../tools/simulate/sharded-drop';
import { describeWithMlPython } from '../helpers/ml-python';

/**
 * #17 D, offline end to end: a many-file drop through the synthesized training workflow with 4
 * preprocessing instances (ShardedByS3Key: each runs ml/preprocess.py on its share of the files).
 * `npm run bench` plays 1000 files; the test 40.
 */
let r: ShardedDropResult;

describeWithMlPython('a 40-file drop preprocessed by 4 instances', () => {
  beforeAll(async () => {
    r = await playShardedDrop(40, 4);
  }, 120_000);

  it('trains and registers a model', () => {
    expect(r.status).toBe('SUCCEEDED');
  });

  it('puts every row in exactly one split', () => {
    const all = [...r.splits.train, ...r.splits.validation, ...r.splits.test];
    expect(all).toHaveLength(r.rows);
    expect(new Set(all).size).toBe(r.rows);
    for (const split of Object.values(r.splits)) expect(split.length).toBeGreaterThan(0);
  });

  it("writes each instance's files under its host's name, and each its share of the baseline sample", () => {
    expect(r.files.filter((f) => f.startsWith('test/')).sort()).toEqual([
      'test/test-algo-1.csv',
      'test/test-algo-2.csv',
      'test/test-algo-3.csv',
      'test/test-algo-4.csv',
    ]);
    expect(r.files.filter((f) => f.startsWith('baseline/') && f.endsWith('.csv')).sort()).toEqual([
      'baseline/baseline-algo-2.csv',
      'baseline/baseline-algo-3.csv',
      'baseline/baseline-algo-4.csv',
      'baseline/baseline.csv',
    ]);
  });
});
