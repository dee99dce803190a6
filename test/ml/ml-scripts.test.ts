import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { describeWithMlPython } from '../helpers/ml-python';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { loadConfig, parseConfig } from '../../lib/config/load';
import { deepMerge } from '../../lib/config/merge';
import { evaluationRule, type PipelineConfig } from '../../lib/config/schema';
import { trainingHyperparameters } from '../../lib/config/training';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { runGate } from '../../lambdas/quality-gate/logic';
import { memoryLogger } from '../../lambdas/shared/logger';
import { BREAST_CANCER_CSV, breastCancerCsv, breastCancerParts } from '../helpers/fixtures';
import { MemoryObjectStore } from '../../offline/memory-store';
import { ML, type PythonRun, python } from '../../offline/python';

/**
 * ml/preprocess.py and ml/evaluate.py on the real breast-cancer data with Debian's pandas 1.5,
 * scikit-learn 1.2 and xgboost 1.7 (the SageMaker SKLearn 1.2-1 / XGBoost 1.7-1 containers),
 * with the pipeline.json the stack ships. Training stands in for the built-in algorithm.
 */

const csvRows = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));

/** A job's directories: pipeline.json, input data files, outputs. */
function workspace(p: PipelineConfig, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'ml-'));
  writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(pipelineSpec(p)));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'data', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'data', name), text);
  }
  return {
    dir,
    preprocess: (messageFile?: string) =>
      python(
        [join(ML, 'preprocess.py'), '--config', join(dir, 'pipeline.json'), '--input-dir', join(dir, 'data'), '--output-dir', join(dir, 'out')],
        messageFile,
      ),
    /** `variant` keeps a second model and report apart from the first (they share the splits). */
    train: (pickle = false, variant = '') =>
      python([
        join(__dirname, '..', '..', 'offline', 'train_like_builtin.py'),
        join(dir, 'out'),
        JSON.stringify(trainingHyperparameters(p)),
        join(dir, `model${variant}`),
        ...(pickle ? ['--pickle'] : []),
      ]),
    /** `env` and `out` score the same model again under other settings, into `eval<out>`. */
    evaluate: (messageFile?: string, variant = '', env: Record<string, string> = {}, out = variant) =>
      python(
        [
          join(ML, 'evaluate.py'),
          '--config',
          join(dir, 'pipeline.json'),
          '--model-dir',
          join(dir, `model${variant}`),
          '--test-dir',
          join(dir, 'out', 'test'),
          '--output-dir',
          join(dir, `eval${out}`),
        ],
        messageFile,
        env,
      ),
    report: (variant = '') => JSON.parse(readFileSync(join(dir, `eval${variant}`, 'evaluation.json'), 'utf8')),
  };
}

const defaults = loadConfig().pipelines[0]!;

// Independent interpreter runs overlap: every describe below is concurrent.
describeWithMlPython(
  'the default binary pipeline on breast-cancer data, uploaded as three files',
  () => {
    const ws = workspace(defaults, Object.fromEntries(breastCancerParts(3).map((csv, i) => [`part-${i}.csv`, csv])));
    /** preprocess → (train → evaluate) twice: as the 1.7-1 algorithm saves the model, and pickled. */
    let chain: Promise<{ prep: PythonRun; train: PythonRun; evaluate: PythonRun; pickled: [PythonRun, PythonRun] }>;
    beforeAll(() => {
      chain = (async () => {
        const prep = await ws.preprocess();
        const both = await Promise.all([
          ws.train().then(async (train) => ({ train, evaluate: await ws.evaluate() })),
          ws.train(true, '-pickled').then(async (t) => [t, await ws.evaluate(undefined, '-pickled')] as [PythonRun, PythonRun]),
        ]);
        return { prep, ...both[0], pickled: both[1] };
      })();
    });

    it('preprocesses into headerless, label-first splits that add up, each class in each split near its share', async () => {
      const { prep } = await chain;
      expect(prep.stderr).toBe('');
      expect(prep.status).toBe(0);
      const summary = JSON.parse(readFileSync(join(ws.dir, 'out', 'baseline', 'preprocess_summary.json'), 'utf8'));
      expect(summary).toMatchObject({ rowsRead: 569, rowsKept: 569, rowsDropped: 0 });
      const [train, validation, test] = ['train/part-0000.csv', 'validation/validation.csv', 'test/test.csv'].map((f) => csvRows(join(ws.dir, 'out', f)));
      expect(train!.length + validation!.length + test!.length).toBe(569);
      // Split by row hash: 15 % each on average, within 3 standard deviations of a binomial draw (±26 rows).
      for (const held of [validation!, test!]) expect(Math.abs(held.length - 569 * 0.15)).toBeLessThan(26);
      for (const rows of [train!, validation!, test!]) {
        expect(rows.every((r) => r.length === 31 && (r[0] === '0' || r[0] === '1'))).toBe(true);
        // 212/569 = 37 % malignant; a hash split keeps it approximately: within 3 standard deviations for the split's size.
        const share = rows.filter((r) => r[0] === '1').length / rows.length;
        expect(Math.abs(share - 212 / 569)).toBeLessThan(3 * Math.sqrt((0.373 * 0.627) / rows.length));
      }
    });

    it('writes the Model Monitor baseline: the features with their header, no label', async () => {
      await chain;
      const [header, ...rows] = csvRows(join(ws.dir, 'out', 'baseline', 'baseline.csv'));
      expect(header).toEqual(defaults.schema.columns.filter((c) => c !== 'malignant'));
      expect(rows).toHaveLength(569);
    });

    it('evaluates a model trained like the built-in algorithm: AUC well above the 0.9 gate', async () => {
      const { train, evaluate } = await chain;
      expect(train.status).toBe(0);
      expect(evaluate.stderr).toBe('');
      expect(evaluate.status).toBe(0);
      const report = ws.report();
      expect(report.metrics.auc).toBeGreaterThan(0.95);
      expect(report.metrics.accuracy).toBeGreaterThan(0.9);
      expect(Object.keys(report.metrics).sort()).toEqual(['accuracy', 'auc', 'f1', 'logloss', 'precision', 'recall']);
      expect(report.binary_classification_metrics.auc).toEqual({ value: report.metrics.auc, standard_deviation: 'NaN' });
      expect(report.rows).toBe(csvRows(join(ws.dir, 'out', 'test', 'test.csv')).length);
      // The identity of the very artifact it scored: what the registry records and a promotion checks.
      const archive = readFileSync(join(ws.dir, 'model', 'model.tar.gz'));
      expect(report.model).toEqual({ sha256: createHash('sha256').update(archive).digest('hex'), bytes: archive.length });
    });

    it('produces a report the quality-gate Lambda reads and passes', async () => {
      await chain;
      const store = new MemoryObjectStore();
      store.put('artifacts', 'run/evaluation.json', readFileSync(join(ws.dir, 'eval', 'evaluation.json')));
      const champions = { latestApproved: async () => undefined };
      const decision = await runGate('s3://artifacts/run/evaluation.json', {
        store,
        champions,
        rule: { ...evaluationRule(defaults), modelPackageGroup: 'g' },
        log: memoryLogger(),
      });
      expect(decision).toMatchObject({ passed: true, metric: 'auc', threshold: 0.9 });
    });

    it('scores the test set chunk by chunk to the same metrics as in one piece (bounded memory)', async () => {
      await chain;
      const r = await ws.evaluate(undefined, '', { MLOPS_EVALUATE_CHUNK_ROWS: '7' }, '-chunked');
      expect(r.stderr).toBe('');
      for (const [k, v] of Object.entries(ws.report().metrics)) expect(ws.report('-chunked').metrics[k]).toBeCloseTo(v as number, 12);
    });

    it('refuses a pickled model (earlier algorithm versions) with a reason, since unpickling would run code the file chooses (#13 item 2)', async () => {
      const { pickled } = await chain;
      expect(pickled.map((r) => r.status)).toEqual([0, 1]);
      expect(pickled[1].stderr).toMatch(
        /^EvaluationError: xgboost-model is not an XGBoost model file .*pickled models are not loaded, since unpickling runs code/,
      );
    });

    it('regression on the same data (predict mean_area): rmse, mae and r2 in the regression layout', async () => {
      const base = DEFAULT_CONFIG.pipelines[0]!;
      const regression = { ...base, schema: { ...base.schema, label: 'mean_area', problemType: 'regression' }, evaluation: { metric: 'r2', threshold: 0.9 } };
      const p = parseConfig(deepMerge(DEFAULT_CONFIG, { pipelines: [regression] })).pipelines[0]!;
      const rw = workspace(p, { 'data.csv': breastCancerCsv() });
      expect((await rw.preprocess()).status).toBe(0);
      expect(csvRows(join(rw.dir, 'out', 'test', 'test.csv'))[0]![0]).toMatch(/^\d+(\.\d+)?$/);
      expect((await rw.train()).status).toBe(0);
      expect((await rw.evaluate()).status).toBe(0);
      const report = rw.report();
      expect(Object.keys(report.regression_metrics).sort()).toEqual(['mae', 'r2', 'rmse']);
      expect(report.metrics.r2).toBeGreaterThan(0.9);
    });
  },
  { concurrent: true },
);

describeWithMlPython(
  'data the scripts refuse, with a reason SageMaker shows as ExitMessage',
  () => {
    const refused = async (files: Record<string, string>) => {
      const ws = workspace(defaults, files);
      const message = join(ws.dir, 'message');
      const r = await ws.preprocess(message);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(readFileSync(message, 'utf8'));
      expect(existsSync(join(ws.dir, 'out', 'train'))).toBe(false);
      return r.stderr.trim();
    };

    it('a header that differs from the configured columns', async () => {
      expect(await refused({ 'a.csv': breastCancerCsv().replace('mean_radius', 'radius_mean') })).toBe(
        'DataError: a.csv: missing columns: mean_radius; unexpected columns: radius_mean',
      );
      const [header, ...rows] = breastCancerCsv().split('\n');
      const swapped = header!.replace('mean_radius,mean_texture', 'mean_texture,mean_radius');
      expect(await refused({ 'b.csv': [swapped, ...rows].join('\n') })).toBe(
        'DataError: b.csv: columns are not in the configured order: column 2 is mean_texture, expected mean_radius',
      );
    });

    it('a feature that is not numeric, naming the column and a value', async () => {
      const lines = breastCancerCsv().split('\n');
      lines[5] = lines[5]!.replace(/^(\d),([^,]+),/, '$1,$2,abc,').replace(/,[^,]+$/, '');
      expect(await refused({ 'a.csv': lines.join('\n') })).toBe("DataError: column mean_texture must be numeric; found 1 non-numeric values such as 'abc'");
    });

    it('a binary label other than 0 or 1', async () => {
      const lines = breastCancerCsv().split('\n');
      lines[1] = lines[1]!.replace(/^\d,/, '2,');
      expect(await refused({ 'a.csv': lines.join('\n') })).toBe('DataError: label malignant must be 0 or 1 for binary_classification; found [0, 1, 2]');
    });

    it('no CSV at all', async () => {
      expect(await refused({ 'a.txt': 'x' })).toMatch(/^DataError: no \.csv files under /);
    });

    it('evaluate.py: a model archive without xgboost-model', async () => {
      const ws = workspace(defaults, { 'data.csv': breastCancerCsv() });
      expect((await ws.preprocess()).status).toBe(0);
      mkdirSync(join(ws.dir, 'model'));
      const tar = spawnSync('tar', ['-czf', join(ws.dir, 'model', 'model.tar.gz'), '-C', join(ws.dir, 'data'), 'data.csv']);
      expect(tar.status).toBe(0);
      const message = join(ws.dir, 'message');
      const r = await ws.evaluate(message);
      expect(r.status).toBe(1);
      expect(readFileSync(message, 'utf8')).toBe("EvaluationError: model.tar.gz has no xgboost-model (it has: ['data.csv'])");
      expect(existsSync(join(ws.dir, 'eval', 'evaluation.json'))).toBe(false);
    });
  },
  { concurrent: true },
);

it('the fixture is the data set the default config describes', async () => {
  const header = readFileSync(BREAST_CANCER_CSV, 'utf8').split('\n', 1)[0]!.split(',');
  expect(header).toEqual(defaults.schema.columns);
  expect(
    readdirSync(ML)
      .filter((f) => f.endsWith('.py'))
      .sort(),
  ).toEqual(['drift.py', 'evaluate.py', 'job_io.py', 'preprocess.py']);
});
