import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { ML, python } from '../../offline/python';
import { breastCancerCsv } from '../helpers/fixtures';
import { describeWithMlPython } from '../helpers/ml-python';

/**
 * #17 C/D: ml/preprocess.py streams (chunks and hash partitions, made small here so that a small
 * dataset crosses many of them) and splits by row hash, so the result does not depend on how the
 * data is cut into files, chunks or partitions (instances: test/simulate/sharded-drop.test.ts).
 */
const SMALL = { MLOPS_PREPROCESS_CHUNK_ROWS: '37', MLOPS_PREPROCESS_PARTITION_BYTES: '8000' };
const [HEADER, ...ROWS] = breastCancerCsv().trimEnd().split('\n');

function job(files: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'prep-'))) {
  const p = loadConfig().pipelines[0]!;
  writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(pipelineSpec(p)));
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(data, name), text);
  const args = [join(ML, 'preprocess.py'), '--config', join(dir, 'pipeline.json'), '--input-dir', data, '--output-dir', join(dir, 'out')];
  return { dir, run: () => python(args, undefined, SMALL) };
}

/** Every row of each split (label first, as written), read back from all files of that split. */
function splits(out: string): Record<'train' | 'validation' | 'test', string[]> {
  const rows = (d: string) =>
    readdirSync(join(out, d))
      .flatMap((f) => readFileSync(join(out, d, f), 'utf8').split('\n'))
      .filter((l) => l !== '')
      .sort();
  return { train: rows('train'), validation: rows('validation'), test: rows('test') };
}

const files = (n: number, rows: string[]) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`part-${String(i).padStart(4, '0')}.csv`, `${HEADER}\n${rows.filter((_, j) => j % n === i).join('\n')}\n`]),
  );

describeWithMlPython('preprocess.py at any size', () => {
  it('splits the same rows the same way whether they come as 1 file or 40, across many chunks and partitions', async () => {
    const one = job({ 'all.csv': `${HEADER}\n${ROWS.join('\n')}\n` });
    const forty = job(files(40, ROWS));
    const [a, b] = await Promise.all([one.run(), forty.run()]);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    const summary = JSON.parse(b.stdout.trim().split('\n').at(-1)!).preprocess;
    expect(summary.partitions).toBeGreaterThan(10);
    expect(splits(join(forty.dir, 'out'))).toEqual(splits(join(one.dir, 'out')));
  });

  it('as one of several instances, a share with no file writes empty outputs and succeeds (SageMaker may give an instance nothing)', async () => {
    const j = job({});
    const rc = join(j.dir, 'resourceconfig.json');
    writeFileSync(rc, JSON.stringify({ current_host: 'algo-3', hosts: ['algo-1', 'algo-2', 'algo-3', 'algo-4'] }));
    const r = await python(
      [join(ML, 'preprocess.py'), '--config', join(j.dir, 'pipeline.json'), '--input-dir', join(j.dir, 'data'), '--output-dir', join(j.dir, 'out')],
      undefined,
      { MLOPS_RESOURCE_CONFIG: rc },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(join(j.dir, 'out', 'test'))).toEqual(['test-algo-3.csv']);
    expect(readFileSync(join(j.dir, 'out', 'baseline', 'baseline-algo-3.csv'), 'utf8').split('\n')[0]).toMatch(/^mean_radius,/);
  });

  it('drops duplicates across files, and every row lands in exactly one split', async () => {
    const dupes = ROWS.slice(0, 50);
    const j = job({ ...files(7, ROWS), 'again.csv': `${HEADER}\n${dupes.join('\n')}\n` });
    const r = await j.run();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).preprocess).toMatchObject({ rowsRead: 619, rowsKept: 569, rowsDropped: 50 });
    const s = splits(join(j.dir, 'out'));
    const all = [...s.train, ...s.validation, ...s.test];
    expect(all).toHaveLength(569);
    expect(new Set(all).size).toBe(569);
  });
});
