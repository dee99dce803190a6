import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithMlPython } from '../helpers/ml-python';
import { loadConfig } from '../../lib/config/load';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { breastCancerCsv } from '../helpers/fixtures';
import { ML, python } from '../../offline/python';

/**
 * ml/drift.py on the breast-cancer data with Debian's pandas/numpy (the SKLearn 1.2-1 image's
 * versions): the baseline is what preprocess.py keeps (features with a header), the capture is
 * what SageMaker data capture writes (one JSON line per request, CSV payload without the label).
 */
const spec = pipelineSpec(loadConfig().pipelines[0]!);
const [header, ...rows] = breastCancerCsv().trimEnd().split('\n');
const features = (row: string) => row.split(',').slice(1); // the label is the first column
const captureLine = (cells: string[], encoding = 'CSV') =>
  JSON.stringify({
    captureData: {
      endpointInput: {
        observedContentType: 'text/csv',
        mode: 'INPUT',
        data: encoding === 'BASE64' ? Buffer.from(cells.join(',')).toString('base64') : cells.join(','),
        encoding,
      },
      endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
    },
    eventMetadata: { eventId: 'e', inferenceTime: '2026-11-22T11:00:00Z' },
    eventVersion: '0',
  });

async function check(capture: string[], extra: Record<string, string> = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'drift-'));
  writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(spec));
  mkdirSync(join(dir, 'baseline'));
  writeFileSync(join(dir, 'baseline', 'baseline.csv'), `${features(header!).join(',')}\n${rows.map((r) => features(r).join(',')).join('\n')}\n`);
  mkdirSync(join(dir, 'capture', 'primary', '2026', '11', '22', '11'), { recursive: true });
  writeFileSync(join(dir, 'capture', 'primary', '2026', '11', '22', '11', 'a.jsonl'), `${capture.join('\n')}\n`);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  const r = await python(
    [
      join(ML, 'drift.py'),
      '--config',
      join(dir, 'pipeline.json'),
      '--baseline-dir',
      join(dir, 'baseline'),
      '--capture-dir',
      join(dir, 'capture'),
      '--output-dir',
      join(dir, 'out'),
    ],
    join(dir, 'message'),
    env,
  );
  return { ...r, dir, report: r.status === 0 ? JSON.parse(readFileSync(join(dir, 'out', 'drift.json'), 'utf8')) : undefined };
}

describeWithMlPython('ml/drift.py', () => {
  it('finds no drift in traffic drawn from the training data', async () => {
    const run = await check(rows.slice(0, 300).map((r) => captureLine(features(r))));
    expect(run.status).toBe(0);
    expect(run.report).toMatchObject({ status: 'ok', rows: 300, skippedRows: 0, baselineRows: 569, driftedFeatures: 0, drifted: [] });
    expect(Object.keys(run.report.features)).toHaveLength(30);
  });

  it('computes PSI on a bounded sample of each side (MLOPS_DRIFT_MAX_ROWS, 200,000 in a job), and still finds the drift', async () => {
    const shifted = rows.slice(0, 500).map((r) => {
      const f = features(r);
      f[3] = String(Number(f[3]) * 3); // mean_area
      return captureLine(f);
    });
    const run = await check(shifted, {}, { MLOPS_DRIFT_MAX_ROWS: '150' });
    expect(run.report).toMatchObject({ status: 'ok', rows: 500, baselineRows: 569, sampledRows: { captured: 150, baseline: 150 } });
    expect(run.report.drifted).toContain('mean_area');
  });

  it('names the features that drifted, worst first, and counts them', async () => {
    const shifted = rows.slice(0, 300).map((r) => {
      const f = features(r);
      f[0] = String(Number(f[0]) * 1.8); // mean_radius
      f[3] = String(Number(f[3]) * 3); // mean_area
      return captureLine(f);
    });
    const run = await check(shifted);
    expect(run.report.drifted).toEqual(expect.arrayContaining(['mean_radius', 'mean_area']));
    expect(run.report.driftedFeatures).toBe(run.report.drifted.length);
    expect(run.report.drifted.length).toBeLessThanOrEqual(4);
    const psi = (f: string) => run.report.features[f].psi;
    expect(psi('mean_area')).toBeGreaterThan(psi('mean_texture'));
    expect([...run.report.drifted].sort((a: string, b: string) => psi(b) - psi(a))).toEqual(run.report.drifted);
  });

  it('reads BASE64 payloads and multi-row requests, and skips malformed lines with a count', async () => {
    const batch = JSON.stringify({
      captureData: {
        endpointInput: {
          data: rows
            .slice(0, 120)
            .map((r) => features(r).join(','))
            .join('\n'),
          encoding: 'CSV',
        },
      },
    });
    const run = await check([batch, captureLine(features(rows[200]!), 'BASE64'), 'not json', captureLine(['1', '2'])]);
    expect(run.report).toMatchObject({ status: 'ok', rows: 121, skippedRows: 2 });
  });

  it('gives no verdict on too little traffic', async () => {
    const run = await check(rows.slice(0, 20).map((r) => captureLine(features(r))));
    expect(run.report).toMatchObject({ status: 'insufficient-data', rows: 20, driftedFeatures: null });
  });

  it('refuses a baseline of another schema, with a one-line reason for ExitMessage', async () => {
    const run = await check([captureLine(features(rows[0]!))]);
    writeFileSync(join(run.dir, 'baseline', 'baseline.csv'), 'a,b\n1,2\n');
    const again = await python(
      [
        join(ML, 'drift.py'),
        '--config',
        join(run.dir, 'pipeline.json'),
        '--baseline-dir',
        join(run.dir, 'baseline'),
        '--capture-dir',
        join(run.dir, 'capture'),
        '--output-dir',
        join(run.dir, 'out2'),
      ],
      join(run.dir, 'message'),
    );
    expect(again.status).toBe(1);
    expect(readFileSync(join(run.dir, 'message'), 'utf8')).toMatch(/^DriftError: the baseline lacks features mean_radius, /);
  });
});
