import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { parseS3Uri } from '../../lambdas/shared/object-store';
import { breastCancerCsv, breastCancerParts } from '../helpers/fixtures';
import { synthPlatform } from '../../offline/synth';
import { MODEL_SHA256, type RunOutcome, runTrainingWorkflow } from '../helpers/workflow-harness';

/**
 * The synthesized training workflow, run by aws-local-stepfunctions: the real Lambda handlers
 * over an in-memory S3, SageMaker answered locally after each request passed the official API
 * model. These are the paths a data drop takes when the data and the model are fine or not.
 */

const LANDING = 'mlops-dev-landing-111122223333-eu-west-1';
const ARTIFACTS = 'mlops-dev-artifacts-111122223333-eu-west-1';
const JOB = /^mlops-dev-breast-cancer--([0-9a-f]{12})-(prep|train|eval)$/;

const pipelineTemplate = (override?: unknown): Template => {
  const s = synthPlatform(override);
  return s.template(s.stages.get('dev')!.pipelines[0]!);
};
const request = (run: RunOutcome, state: string) => {
  const found = run.sageMakerRequests.find((r) => r.state === state);
  if (!found) throw new Error(`no ${state} request; tasks ran: ${run.tasks.join(', ')}`);
  return found.params;
};

let template: Template;
beforeAll(() => {
  template = pipelineTemplate();
});

describe('a good dataset of three files', () => {
  let run: RunOutcome;
  beforeAll(async () => {
    const files = Object.fromEntries(breastCancerParts(3).map((csv, i) => [`breast-cancer/2026-11-22/part-${i + 1}.csv`, csv]));
    run = await runTrainingWorkflow(template, { files, triggerKey: 'breast-cancer/2026-11-22/part-2.csv' });
  });

  it('runs every step once, in order, and ends registered (the drop looked at twice: just written, then quiet for settleSeconds)', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual([
      'SurveyDrop',
      'SurveyDrop',
      'ValidateDataset',
      'RecordLatestDataset',
      'Preprocess',
      'Train',
      'Evaluate',
      'QualityGate',
      'RegisterModel',
      'NotifyModelRegistered',
    ]);
  });

  it("makes every request under the synthesized policies of its callers: the workflow role, and the Lambdas' own roles for S3", () => {
    const of = (role: RegExp) => run.authorized.filter((r) => role.test(r.principal)).map((r) => r.action);
    expect(of(/TrainingWorkflowStateMach/)).toEqual(
      expect.arrayContaining([
        'lambda:InvokeFunction',
        'sagemaker:CreateProcessingJob',
        'sagemaker:CreateTrainingJob',
        'events:PutRule',
        'iam:PassRole',
        'sagemaker:CreateModelPackage',
        'ssm:PutParameter',
      ]),
    );
    expect(of(/ValidateFunctionRole/)).toEqual(expect.arrayContaining(['s3:ListBucketVersions', 's3:GetObjectVersion', 'kms:Decrypt', 's3:PutObject']));
  });

  it("records the accepted dataset for retraining, as the input a retraining run needs: this run's snapshot of it", () => {
    expect(Object.fromEntries(run.parameters)).toEqual({
      '/mlops/dev/breast-cancer/latest-dataset': JSON.stringify({
        pipeline: 'breast-cancer',
        bucket: LANDING,
        datasetId: '2026-11-22',
        prefix: 'breast-cancer/2026-11-22/',
        singleObject: false,
        snapshotRun: run.output!.validation.runId,
      }),
    });
  });

  it('names the three jobs after one run id', () => {
    const names = ['Preprocess', 'Train', 'Evaluate'].map((s) => {
      const p = request(run, s);
      return (p.ProcessingJobName ?? p.TrainingJobName) as string;
    });
    const matches = names.map((n) => JOB.exec(n));
    expect(matches.every(Boolean)).toBe(true);
    expect(new Set(matches.map((m) => m![1])).size).toBe(1);
    expect(matches.map((m) => m![2])).toEqual(['prep', 'train', 'eval']);
  });

  it("preprocesses exactly the listed files, through the manifest the validation wrote, from the run's byte-for-byte snapshot", () => {
    const data = request(run, 'Preprocess').ProcessingInputs.find((i: any) => i.InputName === 'data').S3Input;
    expect(data.S3DataType).toBe('ManifestFile');
    const { bucket, key } = parseS3Uri(data.S3Uri);
    const manifest = JSON.parse(run.store.get(bucket, key)!);
    const snapshot = `breast-cancer/runs/${run.output!.validation.runId}/data/input/`;
    expect(manifest).toEqual([{ prefix: `s3://${ARTIFACTS}/${snapshot}` }, 'part-1.csv', 'part-2.csv', 'part-3.csv']);
    for (const part of ['part-1.csv', 'part-2.csv', 'part-3.csv'])
      expect(run.store.get(ARTIFACTS, `${snapshot}${part}`)).toBe(run.store.get(LANDING, `breast-cancer/2026-11-22/${part}`));
    expect(request(run, 'RegisterModel').CustomerMetadataProperties['dataset-snapshot']).toBe(`s3://${ARTIFACTS}/${snapshot}`);
  });

  it('records lineage: every object with its version, and the execution', () => {
    const lineageUri = request(run, 'RegisterModel').CustomerMetadataProperties.lineage;
    const { bucket, key } = parseS3Uri(lineageUri);
    expect(bucket).toBe(ARTIFACTS);
    const lineage = JSON.parse(run.store.get(bucket, key)!);
    expect(lineage.objects.map((o: any) => o.key)).toEqual(['part-1', 'part-2', 'part-3'].map((p) => `breast-cancer/2026-11-22/${p}.csv`));
    expect(lineage.objects.every((o: any) => typeof o.versionId === 'string' && o.versionId.length > 0)).toBe(true);
    expect(lineage.execution).toMatch(/^arn:aws:states:eu-west-1:111122223333:execution:training:breast-cancer-2026-11-22-[0-9a-f]{16}$/);
  });

  it('chains the jobs: preprocess outputs feed training, the trained model feeds evaluation', () => {
    const prepOut = Object.fromEntries(request(run, 'Preprocess').ProcessingOutputConfig.Outputs.map((o: any) => [o.OutputName, o.S3Output.S3Uri]));
    const channels = Object.fromEntries(request(run, 'Train').InputDataConfig.map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3Uri]));
    expect(channels).toEqual({ train: prepOut.train, validation: prepOut.validation });
    const evalInputs = Object.fromEntries(request(run, 'Evaluate').ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.S3Uri]));
    expect(evalInputs.test).toBe(prepOut.test);
    expect(evalInputs.model).toBe(run.output!.training.modelArtifacts);
  });

  it('preprocesses in the SKLearn 1.2-1 image, evaluates in the XGBoost 1.7-1 image that can load the model', () => {
    expect(request(run, 'Preprocess').AppSpecification.ImageUri).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(request(run, 'Evaluate').AppSpecification.ImageUri).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
    expect(request(run, 'Evaluate').AppSpecification.ContainerEntrypoint).toEqual(['python3', '/opt/ml/processing/input/code/evaluate.py']);
  });

  it('registers the package for manual approval with metrics and lineage', () => {
    const p = request(run, 'RegisterModel');
    expect(p.ModelPackageGroupName).toBe('mlops-dev-breast-cancer');
    expect(p.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(p.InferenceSpecification.Containers[0].ModelDataUrl).toBe(run.output!.training.modelArtifacts);
    expect(p.InferenceSpecification.Containers[0].Image).toBe(request(run, 'Train').AlgorithmSpecification.TrainingImage);
    expect(p.ModelMetrics.ModelQuality.Statistics.S3Uri).toBe(run.output!.validation.paths.evaluationReport);
    expect(p.CustomerMetadataProperties).toMatchObject({
      'metric:auc': '0.97',
      dataset: `s3://${LANDING}/breast-cancer/2026-11-22/`,
      'training-job': request(run, 'Train').TrainingJobName,
      // The evaluated artifact's hash, as the evaluation reported it: what a promotion checks its copy against.
      'model-sha256': MODEL_SHA256,
    });
    expect(p.CustomerMetadataProperties['dataset-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(p.MetadataProperties.GeneratedBy).toBe(p.CustomerMetadataProperties.execution);
    expect(p.ClientToken).toBe(JOB.exec(request(run, 'Train').TrainingJobName)![1]);
  });

  it('e-mails the approver a console link and the CLI command', () => {
    expect(run.notifications).toHaveLength(1);
    const [n] = run.notifications;
    expect(n!.attributes.kind).toBe('model-registered');
    expect(n!.subject).toBe('[mlops-dev] breast-cancer: new model awaits approval (auc 0.970)');
    expect(n!.body).toContain('https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/model-registry/mlops-dev-breast-cancer');
    expect(n!.body).toContain(`--model-package-arn ${run.output!.registration.modelPackageArn} --model-approval-status Approved`);
  });

  it('never touches the uploaded files', () => {
    expect(run.store.keys(LANDING)).toEqual(['part-1', 'part-2', 'part-3'].map((p) => `breast-cancer/2026-11-22/${p}.csv`));
    expect(run.store.copies).toEqual([]);
  });
});

describe('the same dataset as one file directly under the pipeline prefix', () => {
  it('is a single-object dataset whose manifest names that one file', async () => {
    const run = await runTrainingWorkflow(template, { files: { 'breast-cancer/wdbc.csv': breastCancerCsv() } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output!.validation.dataset.objectCount).toBe(1);
    const data = request(run, 'Preprocess').ProcessingInputs.find((i: any) => i.InputName === 'data').S3Input;
    const { bucket, key } = parseS3Uri(data.S3Uri);
    expect(JSON.parse(run.store.get(bucket, key)!)).toEqual([
      { prefix: `s3://${ARTIFACTS}/breast-cancer/runs/${run.output!.validation.runId}/data/input/` },
      'wdbc.csv',
    ]);
  });
});

describe('datasets the validation rejects', () => {
  const rejected = async (files: Record<string, string>) => {
    const run = await runTrainingWorkflow(template, { files });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['SurveyDrop', 'SurveyDrop', 'ValidateDataset', 'NotifyDatasetRejected']);
    expect(run.sageMakerRequests).toEqual([]);
    return run;
  };

  it('a wrong header: quarantined with reason.json, the reason e-mailed, originals kept', async () => {
    const csv = breastCancerCsv().replace('mean_radius', 'radius_mean');
    const run = await rejected({ 'breast-cancer/bad-header/data.csv': csv });
    expect(run.store.keys(LANDING, 'quarantine/')).toEqual(['quarantine/breast-cancer/bad-header/data.csv', 'quarantine/breast-cancer/bad-header/reason.json']);
    const reason = JSON.parse(run.store.get(LANDING, 'quarantine/breast-cancer/bad-header/reason.json')!);
    expect(JSON.stringify(reason.reasons)).toContain('radius_mean');
    expect(run.store.get(LANDING, 'breast-cancer/bad-header/data.csv')).toBe(csv);
    expect(run.notifications[0]!.attributes.kind).toBe('data-rejected');
    expect(run.notifications[0]!.body).toContain('radius_mean');
  });

  it('too few rows', async () => {
    const few = breastCancerCsv().split('\n').slice(0, 21).join('\n');
    const run = await rejected({ 'breast-cancer/tiny/data.csv': few });
    expect(run.notifications[0]!.body).toMatch(/about \d+ data rows, fewer than the required 100 \(dataset\.minRows\)/);
  });

  it('a file that is not CSV', async () => {
    const run = await rejected({ 'breast-cancer/parquet/data.parquet': 'PAR1....' });
    expect(run.notifications[0]!.body).toContain('data.parquet');
  });

  it('never become the dataset retraining starts from', async () => {
    const run = await rejected({ 'breast-cancer/parquet/data.parquet': 'PAR1....' });
    expect(run.parameters.size).toBe(0);
  });
});

describe('recording the latest dataset', () => {
  it('does not stop the run when SSM refuses the write', async () => {
    const run = await runTrainingWorkflow(template, {
      files: { 'breast-cancer/d1/data.csv': breastCancerCsv() },
      failures: { RecordLatestDataset: { error: 'Ssm.ParameterMaxVersionLimitExceeded', cause: 'too many versions' } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toContain('RegisterModel');
    expect(run.parameters.size).toBe(0);
  });
});

describe('the quality gate', () => {
  it('stops a model below the threshold: no package, the metrics e-mailed', async () => {
    const run = await runTrainingWorkflow(template, { files: { 'breast-cancer/weak/data.csv': breastCancerCsv() }, metrics: { auc: 0.85, accuracy: 0.8 } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.slice(-2)).toEqual(['QualityGate', 'NotifyGateFailed']);
    expect(run.sageMakerRequests.map((r) => r.state)).not.toContain('RegisterModel');
    expect(run.notifications[0]!.subject).toBe('[mlops-dev] breast-cancer: model did not pass the quality gate (auc 0.850)');
    expect(run.notifications[0]!.body).toContain('auc: 0.85 (threshold 0.9)');
  });

  it('with mustBeatChampion and autoApprove: loses to a better champion, or registers Approved', async () => {
    const t = pipelineTemplate({
      stages: [{ name: 'dev', autoApprove: true }],
      pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], evaluation: { metric: 'auc', threshold: 0.9, mustBeatChampion: true } }],
    });
    const files = { 'breast-cancer/2026-11-23/data.csv': breastCancerCsv() };
    const lost = await runTrainingWorkflow(t, { files, champion: { value: 0.98 } });
    expect(lost.tasks.at(-1)).toBe('NotifyGateFailed');
    expect(lost.notifications[0]!.body).toContain('0.98');

    const won = await runTrainingWorkflow(t, { files, champion: { value: 0.95 } });
    expect(won.tasks.at(-1)).toBe('NotifyModelRegistered');
    expect(request(won, 'RegisterModel').ModelApprovalStatus).toBe('Approved');
    expect(won.notifications[0]!.subject).toContain('registered and approved');
  });
});
