import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, expect, it } from 'vitest';
import { describeWithMlPython } from '../helpers/ml-python';
import { loadConfig } from '../../lib/config/load';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { RUN, runDriftCheck } from '../helpers/drift-harness';
import { breastCancerCsv } from '../helpers/fixtures';
import { synthPlatform } from '../../offline/synth';

/**
 * The synthesized drift-check workflow in aws-local-stepfunctions, with ml/drift.py run for real
 * on the breast-cancer data (see test/helpers/drift-harness.ts).
 */
const spec = pipelineSpec(loadConfig().pipelines[0]!);
const [header, ...rows] = breastCancerCsv().trimEnd().split('\n');
const features = (row: string) => row.split(',').slice(1);
const baselineCsv = `${features(header!).join(',')}\n${rows.map((r) => features(r).join(',')).join('\n')}\n`;
const capture = (cells: string[][]) =>
  cells
    .map((c) => JSON.stringify({ captureData: { endpointInput: { data: c.join(','), encoding: 'CSV' }, endpointOutput: { data: '0.5', encoding: 'CSV' } } }))
    .join('\n');
const HOUR = 0; // the hour the check runs in

let template: Template;
beforeAll(() => {
  const s = synthPlatform();
  template = s.template(s.stages.get('dev')!.pipelines[0]!);
});

describeWithMlPython('the drift check', () => {
  it("publishes 0 drifted features for traffic like the training data, from the live run's baseline and the last hour of capture", async () => {
    const run = await runDriftCheck(template, { spec, baselineCsv, capture: { [HOUR]: capture(rows.slice(0, 250).map(features)) } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['Prepare', 'RunDriftCheck', 'PublishDrift']);
    expect(run.metrics).toEqual([0]);
    expect(run.output?.drift).toMatchObject({ status: 'ok', rows: 250, driftedFeatures: 0 });
    expect(run.jobRequest).toMatchObject({
      ProcessingJobName: expect.stringMatching(/^mlops-dev-breast-cancer--[0-9a-f]{12}-drift$/),
      NetworkConfig: { EnableNetworkIsolation: true },
      ProcessingOutputConfig: { KmsKeyId: expect.stringMatching(/^arn:aws:kms:/) },
    });
    expect(run.jobRequest!.ProcessingInputs[1].S3Input.S3Uri).toBe(`s3://mlops-dev-artifacts-111122223333-eu-west-1/breast-cancer/runs/${RUN}/data/baseline/`);
  });

  it('finds and uses a check job whose create answer was lost, instead of failing on its name', async () => {
    const run = await runDriftCheck(template, { spec, baselineCsv, capture: { [HOUR]: capture(rows.slice(0, 250).map(features)) }, lostAnswer: true });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['Prepare', 'RunDriftCheck', 'RunDriftCheckDescribe', 'PublishDrift']);
    expect(run.metrics).toEqual([0]);
  });

  it('publishes the count of drifted features when traffic shifts (the drift alarm fires on ≥ 1)', async () => {
    const shifted = rows.slice(0, 250).map((r) => {
      const f = features(r);
      f[3] = String(Number(f[3]) * 3);
      f[13] = String(Number(f[13]) * 4);
      return f;
    });
    const run = await runDriftCheck(template, { spec, baselineCsv, capture: { [HOUR]: capture(shifted) } });
    expect(run.metrics[0]).toBeGreaterThanOrEqual(2);
    expect(run.output?.drift.drifted).toEqual(expect.arrayContaining(['mean_area', 'area_error']));
  });

  it.each([
    ['no endpoint yet', { live: { none: 'endpoint mlops-dev-breast-cancer does not exist yet' } }],
    ['no traffic in the window', { capture: { 3: capture(rows.slice(0, 250).map(features)) } }],
    ['no baseline kept by the live run', { baselineCsv: undefined }],
  ])('skips without a job or a metric when there is %s', async (_name, patch) => {
    const run = await runDriftCheck(template, { spec, baselineCsv, capture: { [HOUR]: capture(rows.slice(0, 250).map(features)) }, ...patch });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['Prepare']);
    expect(run.metrics).toEqual([]);
  });

  it('publishes nothing on too little traffic (no verdict is not "no drift")', async () => {
    const run = await runDriftCheck(template, { spec, baselineCsv, capture: { [HOUR]: capture(rows.slice(0, 30).map(features)) } });
    expect(run.output?.drift).toMatchObject({ status: 'insufficient-data', driftedFeatures: null });
    expect(run.metrics).toEqual([]);
  });

  it("e-mails a failed check with the script's own reason", async () => {
    const run = await runDriftCheck(template, { spec, baselineCsv: 'a,b\n1,2\n', capture: { [HOUR]: capture(rows.slice(0, 250).map(features)) } });
    expect(run.status).toBe('FAILED');
    expect(run.notifications[0]!.subject).toBe('[mlops-dev] breast-cancer: drift check failed (States.TaskFailed)');
    expect(run.notifications[0]!.body).toMatch(/Cause: mlops-dev-breast-cancer--[0-9a-f]{12}-drift: DriftError: the baseline lacks features mean_radius/);
  });
});
