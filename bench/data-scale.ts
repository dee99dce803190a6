/**
 * `npm run bench`, "data scale" (#17 E): the validation task's worst case at the configured
 * maxima, ml/preprocess.py's peak memory and time at three sizes, a 1000-file drop through four
 * offline preprocessing instances, and the largest dataset the default config accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validationWorstCase } from '../lambdas/shared/validation-budget';
import { ConfigError, loadConfig } from '../lib/config/load';
import { pipelineSpec } from '../lib/constructs/ml-code';
import { PYTHON } from '../offline/python';
import { playShardedDrop } from '../tools/simulate/sharded-drop';

const ROOT = resolve(__dirname, '..');
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** Peak RSS (MiB) and wall time (s) of preprocess.py on a generated CSV of `mib` MiB. */
function preprocessAt(mib: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prep-'));
  try {
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(pipelineSpec(loadConfig().pipelines[0]!)));
    const made = spawnSync(
      PYTHON,
      [join(ROOT, 'bench', 'make_csv.py'), join(ROOT, 'test', 'fixtures', 'data', 'breast-cancer.csv'), join(dir, 'in', 'data.csv'), String(mib * MIB)],
      {
        encoding: 'utf8',
      },
    );
    if (made.status !== 0) throw new Error(`make_csv.py: ${made.stderr}`);
    const args = [
      '-v',
      PYTHON,
      join(ROOT, 'ml', 'preprocess.py'),
      '--config',
      join(dir, 'pipeline.json'),
      '--input-dir',
      join(dir, 'in'),
      '--output-dir',
      join(dir, 'out'),
      '--work-dir',
      join(dir, 'work'),
    ];
    const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 * MIB });
    if (r.status !== 0) throw new Error(`preprocess.py: ${r.stderr.slice(-2000)}`);
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    const [m, s] = (/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(r.stderr)?.[1] ?? '0:0').split(':').slice(-2).map(Number);
    const seconds = (m ?? 0) * 60 + (s ?? 0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!).preprocess as { rowsKept: number };
    return { mib, rows: summary.rowsKept, peakRssMib: Math.round(rssKb / 1024), seconds, mibPerSecond: Number((mib / seconds).toFixed(1)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The largest dataset.maxBytes (GiB, whole) the default pipeline's instances accept. */
function largestDefault(): number {
  let best = 0;
  for (let gib = 1; gib <= 1024; gib++) {
    try {
      loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', dataset: { maxBytes: gib * GIB } }] } });
      best = gib;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      break;
    }
  }
  return best;
}

export async function dataScale(sizesMib: number[]) {
  const validation = [1000, 10000].map((files) => ({ files, maxBytesGib: 10, ...validationWorstCase(files, 10 * GIB) }));
  const preprocess = sizesMib.map(preprocessAt);
  const drop = await playShardedDrop(1000, 4);
  const all = [...drop.splits.train, ...drop.splits.validation, ...drop.splits.test];
  return {
    validation: validation.map((v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number(x.toFixed(2))]))),
    preprocess,
    shardedDrop: {
      files: 1000,
      instances: 4,
      status: drop.status,
      rows: drop.rows,
      everyRowOnce: all.length === drop.rows && new Set(all).size === drop.rows,
      seconds: drop.seconds,
    },
    largestDefaultGib: largestDefault(),
  };
}
