import { loadConfig } from '../../lib/config/load';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { LocalCloud } from '../../offline/local-cloud';
import { synthPlatform } from '../../offline/synth';
import { breastCancerCsv } from '../../test/helpers/fixtures';

/** What a sharded preprocessing run made of a many-file drop. */
export interface ShardedDropResult {
  readonly status: string | undefined;
  /** The run's failure, when it failed. */
  readonly failure?: { error: string; cause: string };
  /** Unique rows dropped. */
  readonly rows: number;
  /** Each split's rows (label first, as written), read back from every instance's files. */
  readonly splits: Record<'train' | 'validation' | 'test', string[]>;
  /** The files the preprocessing job wrote, relative to the run. */
  readonly files: string[];
  readonly seconds: number;
}

/**
 * #17 D offline: a drop of `files` CSV files (each row unique: the breast-cancer rows, the first
 * feature nudged per copy) through the synthesized training workflow with `instances`
 * preprocessing instances, ShardedByS3Key, every request authorized. Used by the test (small) and
 * `npm run bench` (1000 files).
 */
export async function playShardedDrop(files: number, instances: number): Promise<ShardedDropResult> {
  const started = Date.now();
  const override = { pipelines: [{ name: 'breast-cancer', preprocessing: { instanceCount: instances } }] };
  const config = loadConfig({ inline: override });
  const s = synthPlatform(undefined, { inline: override });
  const stage = s.stages.get(config.stages[0]!.name)!;
  const cloud = new LocalCloud(s.account(stage), stage.pipelines[0]!.stackName, pipelineSpec(config.pipelines[0]!), () => {});
  const [header, ...base] = breastCancerCsv().trimEnd().split('\n');
  const rowsPerFile = Math.max(1, Math.ceil(base.length / files));
  const drop: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const rows = Array.from({ length: rowsPerFile }, (_, j) => {
      const n = i * rowsPerFile + j;
      const cells = base[n % base.length]!.split(',');
      cells[1] = String(Number(cells[1]) + Math.floor(n / base.length) * 1e-3);
      return cells.join(',');
    });
    drop[`breast-cancer/big/part-${String(i).padStart(5, '0')}.csv`] = `${header}\n${rows.join('\n')}\n`;
  }
  const landing = cloud.env['dataset-trigger']!.LANDING_BUCKET!;
  const artifacts = cloud.env['validate-dataset']!.ARTIFACTS_BUCKET!;
  await cloud.dropFiles(landing, drop);
  await cloud.drain();
  const run = cloud.executions[0];
  const runDir = String(run?.output?.validation?.paths?.train ?? '')
    .replace(/^s3:\/\/[^/]+\//, '')
    .replace(/train\/$/, '');
  const keys = cloud.store.keys(artifacts, runDir);
  const read = (split: string) =>
    keys
      .filter((k) => k.startsWith(`${runDir}${split}/`))
      .flatMap((k) => cloud.store.get(artifacts, k)!.split('\n'))
      .filter((l) => l !== '')
      .sort();
  return {
    status: run?.status,
    ...(run?.failure ? { failure: run.failure } : {}),
    rows: files * rowsPerFile,
    splits: { train: read('train'), validation: read('validation'), test: read('test') },
    files: keys.filter((k) => /\/(train|validation|test|baseline)\//.test(k)).map((k) => k.slice(runDir.length)),
    seconds: (Date.now() - started) / 1000,
  };
}
