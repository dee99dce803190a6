import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambdas/notify/handler';
import { explainFailure, formatNotification, subjectLine } from '../../lambdas/notify/logic';

const ctx = { project: 'mlops', stage: 'dev', pipeline: 'churn', region: 'eu-west-1', modelPackageGroup: 'mlops-dev-churn' };
const executionArn = 'arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-churn-training:churn-d1-abc';

describe('notification formatter', () => {
  it('asks for approval with the package, the metric, a console link and the CLI command', () => {
    const m = formatNotification({ kind: 'model-registered', executionArn, modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/4', approvalStatus: 'PendingManualApproval', metric: 'auc', value: 0.9731, reasons: [], datasetUri: 's3://landing/churn/d1/' }, ctx);
    expect(m.subject).toBe('[mlops-dev] churn: new model awaits approval (auc 0.973)');
    expect(m.body).toContain('https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/model-registry/mlops-dev-churn');
    expect(m.body).toContain('aws sagemaker update-model-package --model-package-arn arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/4 --model-approval-status Approved');
    expect(m.body).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`);
    expect(m.attributes).toEqual({ pipeline: 'churn', stage: 'dev', kind: 'model-registered' });
  });

  it('lists every rejection reason with a link to the quarantine', () => {
    const m = formatNotification({ kind: 'data-rejected', executionArn, reasons: ['a.csv: missing columns: f2', 'b.txt: only .csv files are accepted'], quarantineUri: 's3://landing/quarantine/churn/d 1/' }, ctx);
    expect(m.subject).toBe('[mlops-dev] churn: dataset rejected');
    expect(m.body).toContain('- a.csv: missing columns: f2\n- b.txt: only .csv files are accepted');
    expect(m.body).toContain('https://s3.console.aws.amazon.com/s3/buckets/landing?region=eu-west-1&prefix=quarantine%2Fchurn%2Fd%201%2F');
  });

  it('explains a quota failure with what to do', () => {
    const cause = JSON.stringify({ TrainingJobName: 'mlops-dev-churn--abc-train', FailureReason: 'ResourceLimitExceeded: The account-level service limit ml.p3.2xlarge for training job usage is 0 Instances' });
    const m = formatNotification({ kind: 'failed', executionArn, error: 'States.TaskFailed', cause }, ctx);
    expect(m.subject).toBe('[mlops-dev] churn: training run failed (States.TaskFailed)');
    expect(m.body).toContain('Cause: mlops-dev-churn--abc-train: ResourceLimitExceeded');
    expect(m.body).toContain('Request an increase in Service Quotas');
  });

  it('keeps subjects within SNS limits: ASCII, one line, at most 100 characters', () => {
    const s = subjectLine(`Modèle ${'x'.repeat(200)}\nnext`);
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s.startsWith('Modele x')).toBe(true);
  });

  it('passes a plain-text cause through and adds no hint when there is none to give', () => {
    expect(explainFailure('Lambda.Unknown', 'boom')).toEqual({ summary: 'boom' });
  });

  it("quotes a processing job's ExitMessage before its generic FailureReason", () => {
    const cause = JSON.stringify({ ProcessingJobName: 'mlops-dev-churn--abc-prep', ProcessingJobStatus: 'Failed', FailureReason: 'AlgorithmError: See job logs for more detail.', ExitMessage: 'DataError: column tenure must be numeric' });
    expect(explainFailure('States.TaskFailed', cause).summary).toBe('mlops-dev-churn--abc-prep: DataError: column tenure must be numeric');
    const noMessage = JSON.stringify({ ProcessingJobName: 'p', FailureReason: 'AlgorithmError: See job logs for more detail.', ExitMessage: '' });
    expect(explainFailure('States.TaskFailed', noMessage).summary).toBe('p: AlgorithmError: See job logs for more detail.');
  });
});

describe('notify handler', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it('publishes the formatted message with filterable attributes', async () => {
    Object.assign(process.env, { PROJECT: 'mlops', STAGE: 'dev', PIPELINE_NAME: 'churn', MODEL_PACKAGE_GROUP: 'mlops-dev-churn', TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:mlops-dev-notifications', AWS_REGION: 'eu-west-1' });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const out = await handler({ kind: 'gate-failed', executionArn, metric: 'auc', value: 0.7, threshold: 0.9, reasons: ['auc 0.7000 is not at least the threshold 0.9000'] });
    expect(out).toEqual({ messageId: 'm-1', subject: '[mlops-dev] churn: model did not pass the quality gate (auc 0.700)' });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe('arn:aws:sns:eu-west-1:111122223333:mlops-dev-notifications');
    expect(input.MessageAttributes).toEqual({ pipeline: { DataType: 'String', StringValue: 'churn' }, stage: { DataType: 'String', StringValue: 'dev' }, kind: { DataType: 'String', StringValue: 'gate-failed' } });
  });

  it('refuses an unknown kind with a typed error', async () => {
    await expect(handler({ kind: 'party', executionArn })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sns.calls()).toHaveLength(0);
  });
});
