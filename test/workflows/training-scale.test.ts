import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseS3Uri } from '../../lambdas/shared/object-store';
import { surveyDrop } from '../../lambdas/validate-dataset/survey';
import { MAX_SURVEYS, type SettleState } from '../../lambdas/validate-dataset/survey-state';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { loadConfig } from '../../lib/config/load';
import { synthPlatform } from '../../offline/synth';
import { breastCancerParts } from '../helpers/fixtures';
import { setup, task } from '../helpers/validate-fixtures';
import { runTrainingWorkflow } from '../helpers/workflow-harness';

/**
 * #17 A: a drop is complete before it is trained on. The synthesized workflow looks at the drop
 * in a loop of Wait states until it has been quiet for settleSeconds, or until its completion
 * marker is there, and rejects it, saying so, past dataset.maxWaitMinutes.
 */
const LANDING = 'mlops-dev-landing-111122223333-eu-west-1';
const pipelineTemplate = (override?: unknown): Template => {
  const s = synthPlatform(override);
  return s.template(s.stages.get('dev')!.pipelines[0]!);
};
const parts = (from: number, csvs: string[]) => Object.fromEntries(csvs.map((csv, i) => [`breast-cancer/2026-11-22/part-${from + i}.csv`, csv]));
const manifestOf = (run: Awaited<ReturnType<typeof runTrainingWorkflow>>) => {
  const { bucket, key } = parseS3Uri(`${run.output!.validation.paths.manifest}`);
  return JSON.parse(run.store.get(bucket, key)!) as unknown[];
};

describe('the quiet period (default: 60 s)', () => {
  let template: Template;
  beforeAll(() => {
    template = pipelineTemplate();
  });

  it('waits for an upload whose second half lands after the first look, and trains on all of it', async () => {
    const six = breastCancerParts(6);
    const run = await runTrainingWorkflow(template, { files: parts(1, six.slice(0, 3)), duringSettle: { 2: parts(4, six.slice(3)) } });
    expect(run.status).toBe('SUCCEEDED');
    // 1: just written; 2: three more parts arrived, so the quiet period starts again; 3: quiet for 60 s.
    expect(run.tasks.slice(0, 4)).toEqual(['SurveyDrop', 'SurveyDrop', 'SurveyDrop', 'ValidateDataset']);
    expect(manifestOf(run).slice(1)).toEqual(['part-1.csv', 'part-2.csv', 'part-3.csv', 'part-4.csv', 'part-5.csv', 'part-6.csv']);
    expect(run.output!.settle).toMatchObject({ status: 'ready', quietSeconds: 60, waitedSeconds: 120 });
  });

  it('waits while a multipart upload is in progress, and counts no quiet time on the first look, however old the objects', async () => {
    const { store, deps } = setup();
    const rules = { settleSeconds: 60, maxWaitSeconds: 7200 };
    store.clock = () => new Date('2026-11-01T00:00:00Z'); // LastModified is when an upload started: a month ago says nothing
    store.put('landing', 'churn/d1/a.csv', 'label,f1,f2\n1,2,3\n');
    store.uploading.add('landing/churn/d1/big.csv');
    const first = await surveyDrop(task(), { quietSeconds: 0, waitedSeconds: 0, waitSeconds: 0 }, rules, deps);
    expect(first).toMatchObject({ status: 'waiting', quietSeconds: 0, waitSeconds: 60 });
    const second = await surveyDrop(task(), first as SettleState, rules, deps);
    expect(second).toMatchObject({ status: 'waiting', quietSeconds: 60 });
    store.uploading.delete('landing/churn/d1/big.csv');
    store.put('landing', 'churn/d1/big.csv', 'label,f1,f2\n0,1,1\n');
    const third = await surveyDrop(task(), second as SettleState, rules, deps);
    expect(third).toMatchObject({ status: 'waiting', quietSeconds: 0 });
    expect(await surveyDrop(task(), third as SettleState, rules, deps)).toMatchObject({ status: 'ready', quietSeconds: 60 });
  });

  it('takes a single object (an atomic PUT) at the first look', async () => {
    const run = await runTrainingWorkflow(template, { files: { 'breast-cancer/wdbc.csv': breastCancerParts(1)[0]! } });
    expect(run.tasks.slice(0, 2)).toEqual(['SurveyDrop', 'ValidateDataset']);
  });
});

describe('a completion marker (dataset.completeWhen.marker: "_SUCCESS")', () => {
  let template: Template;
  beforeAll(() => {
    const p = DEFAULT_CONFIG.pipelines[0]!;
    template = pipelineTemplate({ pipelines: [{ ...p, dataset: { ...p.dataset, completeWhen: { marker: '_SUCCESS' }, maxWaitMinutes: 30 } }] });
  });

  it('waits for the marker, however quiet the folder is, and leaves it out of the data', async () => {
    const run = await runTrainingWorkflow(template, {
      files: parts(1, breastCancerParts(3)),
      duringSettle: { 4: { 'breast-cancer/2026-11-22/_SUCCESS': '' } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'SurveyDrop')).toHaveLength(4);
    expect(manifestOf(run).slice(1)).toEqual(['part-1.csv', 'part-2.csv', 'part-3.csv']);
  });

  it('rejects a drop whose marker never comes, after dataset.maxWaitMinutes, saying so; nothing is copied', async () => {
    const run = await runTrainingWorkflow(template, { files: parts(1, breastCancerParts(3)) });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.at(-1)).toBe('NotifyDatasetRejected');
    expect(run.sageMakerRequests).toEqual([]);
    // 60 s between looks (settleSeconds) for 30 minutes: 31 looks.
    expect(run.tasks.filter((t) => t === 'SurveyDrop')).toHaveLength(31);
    expect(run.notifications[0]!.subject).toBe('[mlops-dev] breast-cancer: dataset rejected');
    expect(run.notifications[0]!.body).toContain('no _SUCCESS marker after 30 minutes (dataset.completeWhen.marker, dataset.maxWaitMinutes)');
    const reason = JSON.parse(run.store.get(LANDING, 'quarantine/breast-cancer/2026-11-22/reason.json')!);
    expect(reason.notCopied).toMatch(/the upload had not finished/);
    expect(reason.objects).toHaveLength(3);
    expect(run.store.keys(LANDING, 'quarantine/')).toEqual(['quarantine/breast-cancer/2026-11-22/reason.json']);
  });
});

describe('more than one preprocessing instance (#17 D)', () => {
  it("shards the dataset's files across them with ShardedByS3Key, in a request the SageMaker API model accepts", async () => {
    const p = DEFAULT_CONFIG.pipelines[0]!;
    const template = pipelineTemplate({ pipelines: [{ ...p, preprocessing: { ...p.preprocessing, instanceCount: 4 } }] });
    const run = await runTrainingWorkflow(template, { files: { 'breast-cancer/wdbc.csv': breastCancerParts(1)[0]! } });
    expect(run.status).toBe('SUCCEEDED');
    const request = run.sageMakerRequests.find((r) => r.state === 'Preprocess')!.params;
    expect(request.ProcessingResources.ClusterConfig.InstanceCount).toBe(4);
    expect(request.NetworkConfig.EnableInterContainerTrafficEncryption).toBe(true);
    const data = request.ProcessingInputs.find((i: { InputName: string }) => i.InputName === 'data').S3Input;
    expect(data).toMatchObject({ S3DataType: 'ManifestFile', S3DataDistributionType: 'ShardedByS3Key' });
  });
});

describe('the settle loop at the configured maxima', () => {
  it(`looks at most ${MAX_SURVEYS + 1} times (far below Step Functions' 25,000 history events) at maxWaitMinutes 1440 and settleSeconds 0`, async () => {
    const { store, deps } = setup();
    store.put('landing', 'churn/d1/a.csv', 'label,f1,f2\n1,2,3\n');
    let state: SettleState = { quietSeconds: 0, waitedSeconds: 0, waitSeconds: 0 };
    let looks = 0;
    for (;;) {
      looks++;
      const r = await surveyDrop(task(), state, { settleSeconds: 0, maxWaitSeconds: 1440 * 60, marker: '_SUCCESS' }, deps);
      if (r.status !== 'waiting') {
        expect(r.status).toBe('expired');
        break;
      }
      state = r;
    }
    expect(looks).toBeLessThanOrEqual(MAX_SURVEYS + 1);
    expect(looks).toBeGreaterThan(MAX_SURVEYS / 2);
  });

  it('refuses a marker that dataset.ignore would count as data, naming the field', () => {
    expect(() => loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', dataset: { completeWhen: { marker: 'DONE' } } }] } })).toThrow(
      /pipelines\[0\]\.dataset\.completeWhen\.marker: expected a file that dataset\.ignore leaves out of the data \(.*add "DONE" to dataset\.ignore\)/,
    );
  });
});
