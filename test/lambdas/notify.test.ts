import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { factEntry, lifecycleContextFromEnv } from '../../lambdas/shared/event-publisher';
import type { FactInput } from '../../lambdas/shared/lifecycle';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, afterAll } from 'vitest';
import { handler } from '../../lambdas/notify/handler';
import { explainFailure, formatNotification, subjectLine } from '../../lambdas/notify/logic';
import { checkSnsPublish, SNS_MAX_MESSAGE_BYTES, snsPublishBytes } from '../../offline/limits';

const ctx = { project: 'mlops', stage: 'dev', pipeline: 'churn', region: 'eu-west-1', modelPackageGroup: 'mlops-dev-churn' };
const executionArn = 'arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-churn-training:churn-d1-abc';

describe('notification formatter', () => {
  const pkg = 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/12';
  const comparison = {
    decision: 'rollback' as const,
    basis: 'evidence' as const,
    reasons: ["shadow error rate 5.00% exceeds production's 1.00% by more than 1.00% (promotion.maxErrorRateIncrease)"],
    production: { invocations: 1000, errorRate: 0.01, p99LatencyMs: 50 },
    shadow: { invocations: 998, errorRate: 0.05, p99LatencyMs: 48.25 },
    agreementRate: null,
    agreementPairs: 0,
  };

  it('reports a rollback with the reasons and the comparison table', () => {
    const m = formatNotification(
      { kind: 'rolled-back', executionArn, modelPackageArn: pkg, endpointName: 'mlops-dev-churn', reasons: comparison.reasons, comparison },
      ctx,
    );
    expect(m.subject).toBe('[mlops-dev] churn: model v12 rolled back on mlops-dev-churn');
    expect(m.body).toContain("- shadow error rate 5.00% exceeds production's 1.00%");
    expect(m.body).toContain(
      '  requests:     1000 vs 998\n  error rate:   1.00% vs 5.00%\n  p99 latency:  50.0 ms vs 48.3 ms\n  agreement:    n/a over 0 mirrored request(s)',
    );
    expect(m.attributes.kind).toBe('rolled-back');
  });

  it('explains a deployment that failed on a busy endpoint, without an execution for a rejection', () => {
    const failed = formatNotification(
      {
        kind: 'deployment-failed',
        executionArn,
        modelPackageArn: pkg,
        error: 'SageMaker.AmazonSageMakerException',
        cause: 'Cannot update in-progress endpoint "mlops-dev-churn".',
      },
      ctx,
    );
    expect(failed.subject).toBe('[mlops-dev] churn: deployment of model v12 failed (SageMaker.AmazonSageMakerException)');
    expect(failed.body).toContain('Endpoint busy: another update of the endpoint did not finish in time.');
    const rejected = formatNotification({ kind: 'model-rejected', modelPackageArn: pkg, by: 'alice', reason: 'bias review failed' }, ctx);
    expect(rejected.body).toContain('was rejected by alice');
    expect(rejected.body).not.toContain('Execution:');
  });

  it('says a refused promotion changed nothing here, why, and where the event waits for a redrive', () => {
    const source = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/mlops-staging-churn/4';
    const m = formatNotification(
      {
        kind: 'promotion-failed',
        sourcePackageArn: source,
        sourceStage: 'staging',
        error: 'ArtifactMismatchError',
        cause: 'the copy has SHA-256 ab12, not cd34',
      },
      ctx,
    );
    expect(m.subject).toBe('[mlops-dev] churn: the model live in staging v4 was not promoted (ArtifactMismatchError)');
    expect(m.body).toContain('no package was added and nothing this stage serves changed');
    expect(m.body).toContain('Reason: the copy has SHA-256 ab12, not cd34');
    expect(m.body).toContain(`Source package: ${source}`);
    expect(m.body).toContain('dead-letter queue mlops-dev-churn-approval-dlq');
    expect(m.body).toContain('invoke mlops-dev-churn-promote-model with it again');
    expect(m.attributes.kind).toBe('promotion-failed');
  });

  it('asks for approval with the package, the metric, a console link and the CLI command', () => {
    const m = formatNotification(
      {
        kind: 'model-registered',
        executionArn,
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/4',
        approvalStatus: 'PendingManualApproval',
        metric: 'auc',
        value: 0.9731,
        reasons: [],
        datasetUri: 's3://landing/churn/d1/',
      },
      ctx,
    );
    expect(m.subject).toBe('[mlops-dev] churn: new model awaits approval (auc 0.973)');
    expect(m.body).toContain('https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/model-registry/mlops-dev-churn');
    expect(m.body).toContain(
      'aws sagemaker update-model-package --model-package-arn arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-churn/4 --model-approval-status Approved',
    );
    expect(m.body).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`);
    expect(m.attributes).toEqual({ pipeline: 'churn', stage: 'dev', kind: 'model-registered' });
  });

  it('lists every rejection reason with a link to the quarantine', () => {
    const m = formatNotification(
      {
        kind: 'data-rejected',
        executionArn,
        reasons: ['a.csv: missing columns: f2', 'b.txt: only .csv files are accepted'],
        quarantineUri: 's3://landing/quarantine/churn/d 1/',
      },
      ctx,
    );
    expect(m.subject).toBe('[mlops-dev] churn: dataset rejected');
    expect(m.body).toContain('- a.csv: missing columns: f2\n- b.txt: only .csv files are accepted');
    expect(m.body).toContain('https://s3.console.aws.amazon.com/s3/buckets/landing?region=eu-west-1&prefix=quarantine%2Fchurn%2Fd%201%2F');
  });

  it('explains a quota failure with what to do', () => {
    const cause = JSON.stringify({
      TrainingJobName: 'mlops-dev-churn--abc-train',
      FailureReason: 'ResourceLimitExceeded: The account-level service limit ml.p3.2xlarge for training job usage is 0 Instances',
    });
    const m = formatNotification({ kind: 'failed', workflow: 'training run', executionArn, error: 'States.TaskFailed', cause }, ctx);
    expect(m.subject).toBe('[mlops-dev] churn: training run failed (States.TaskFailed)');
    expect(m.body).toContain('Cause: mlops-dev-churn--abc-train: ResourceLimitExceeded');
    expect(m.body).toContain('Request an increase in Service Quotas');
  });

  it('explains a Lambda step that ran out of time (validation copying a large dataset into the run)', () => {
    const { hint } = explainFailure(
      'Sandbox.Timedout',
      '{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: x Error: Task timed out after 900.00 seconds"}',
    );
    expect(hint).toMatch(/^Function time-out: .*dataset\.maxBytes/);
  });

  it('keeps subjects within SNS limits: ASCII, one line, fewer than 100 characters', () => {
    const s = subjectLine(`Modèle ${'x'.repeat(200)}\nnext`);
    expect(s.length).toBe(99);
    expect(s.endsWith('...')).toBe(true);
    expect(() => checkSnsPublish({ Subject: s, Message: 'm' })).not.toThrow();
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s.startsWith('Modele x')).toBe(true);
  });

  it('passes a plain-text cause through and adds no hint when there is none to give', () => {
    expect(explainFailure('Lambda.Unknown', 'boom')).toEqual({ summary: 'boom' });
  });

  it("quotes a processing job's ExitMessage before its generic FailureReason", () => {
    const cause = JSON.stringify({
      ProcessingJobName: 'mlops-dev-churn--abc-prep',
      ProcessingJobStatus: 'Failed',
      FailureReason: 'AlgorithmError: See job logs for more detail.',
      ExitMessage: 'DataError: column tenure must be numeric',
    });
    expect(explainFailure('States.TaskFailed', cause).summary).toBe('mlops-dev-churn--abc-prep: DataError: column tenure must be numeric');
    const noMessage = JSON.stringify({ ProcessingJobName: 'p', FailureReason: 'AlgorithmError: See job logs for more detail.', ExitMessage: '' });
    expect(explainFailure('States.TaskFailed', noMessage).summary).toBe('p: AlgorithmError: See job logs for more detail.');
  });
});

describe('untrusted text in e-mails (#13 item 9)', () => {
  it('writes line breaks, control characters and bidirectional overrides of a CSV header, a key or an ApprovalDescription as visible escapes', () => {
    const forged = 'bias ok\n\nApprove v9 now: https://evil.example\u202e';
    const rejected = formatNotification(
      { kind: 'model-rejected', modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/3', by: 'mallory', reason: forged },
      ctx,
    );
    expect(rejected.body).toContain('Reason: bias ok\\n\\nApprove v9 now: https://evil.example\\u202e');
    expect(rejected.body.split('\n').some((l) => l.startsWith('Approve v9'))).toBe(false);
    const data = formatNotification(
      {
        kind: 'data-rejected',
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:x:y',
        reasons: ['churn/d1/a.csv: unexpected columns: x\r\nError: none, all fine'],
        quarantineUri: 's3://landing/quarantine/churn/d1/',
      },
      ctx,
    );
    expect(data.body).toContain('- churn/d1/a.csv: unexpected columns: x\\r\\nError: none, all fine');
    expect(data.body.split('\n').some((l) => l.startsWith('Error: none'))).toBe(false);
  });
});

describe('notifications at the limits', () => {
  /** The request the handler would send, checked as SNS checks it. */
  const publishable = (m: ReturnType<typeof formatNotification>) => {
    const request = {
      Subject: m.subject,
      Message: m.body,
      MessageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
    };
    expect(() => checkSnsPublish(request)).not.toThrow();
    return snsPublishBytes(request);
  };
  const longKey = (i: number) => `churn/d1/${'k'.repeat(1000)}-${i}.parquet`;

  it('lists the first reasons of 1000 rejected files with long keys and points to reason.json for the rest', () => {
    const reasons = Array.from({ length: 1000 }, (_, i) => `${longKey(i)}: only .csv files are accepted`);
    const m = formatNotification({ kind: 'data-rejected', executionArn, reasons, quarantineUri: 's3://landing/quarantine/churn/d1/' }, ctx);
    expect(publishable(m)).toBeLessThan(64 * 1024);
    expect(m.body).toContain(`- ${longKey(19)}: only .csv files are accepted`);
    expect(m.body).not.toContain(longKey(20));
    expect(m.body).toContain('… and 980 more (the full list: s3://landing/quarantine/churn/d1/reason.json)');
    expect(m.body).toContain(`Execution: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`);
  });

  it('clips a 300 KB failure cause and still says what to do', () => {
    const cause = JSON.stringify({ TrainingJobName: 'mlops-dev-churn--abc-train', FailureReason: `ResourceLimitExceeded: ${'x'.repeat(300_000)}` });
    const m = formatNotification({ kind: 'failed', workflow: 'training run', executionArn, error: 'States.TaskFailed', cause }, ctx);
    expect(publishable(m)).toBeLessThan(16 * 1024);
    expect(m.body).toMatch(/Cause: mlops-dev-churn--abc-train: ResourceLimitExceeded: x+… \(\d+ more characters\)/);
    expect(m.body).toContain('Request an increase in Service Quotas');
  });

  it('gives a valid subject when every field is long, multi-line and not ASCII', () => {
    const long = { ...ctx, project: `prøject-${'p'.repeat(120)}`, pipeline: `línea\n${'q'.repeat(120)}` };
    const m = formatNotification({ kind: 'failed', workflow: 'training\r\nrun', executionArn, error: 'Ünknown\u0000', cause: 'boom' }, long);
    publishable(m);
    expect(m.subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,97}[\x21-\x7e]$/);
  });

  it('cuts a body that no list or text bound keeps small, and says where the details are', () => {
    const pkg = `arn:aws:sagemaker:eu-west-1:111122223333:model-package/${'g'.repeat(300_000)}/3`;
    const m = formatNotification({ kind: 'deployed', executionArn, modelPackageArn: pkg, endpointName: 'mlops-dev-churn', how: 'created' }, ctx);
    const bytes = publishable(m);
    expect(bytes).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect(bytes).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES - 64);
    expect(
      m.body.endsWith(
        `… (message cut to fit SNS's size limit; the execution has every detail: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn})`,
      ),
    ).toBe(true);
  });

  it('caps the reasons of a rollback at twenty', () => {
    const reasons = Array.from({ length: 500 }, (_, i) => `reason ${i} ${'r'.repeat(5000)}`);
    const m = formatNotification(
      { kind: 'rolled-back', executionArn, modelPackageArn: 'arn:aws:sagemaker:eu-west-1:1:model-package/g/1', endpointName: 'e', reasons },
      ctx,
    );
    publishable(m);
    expect(m.body.match(/^- reason /gm)).toHaveLength(20);
    expect(m.body).toContain('… and 480 more');
  });
});

describe('notify handler', () => {
  const sns = mockClient(SNSClient);
  const bus = mockClient(EventBridgeClient);
  afterEach(() => {
    sns.reset();
    bus.reset();
  });
  afterAll(() => {
    sns.restore();
    bus.restore();
  });
  const env = {
    PROJECT: 'mlops',
    STAGE: 'dev',
    PIPELINE_NAME: 'churn',
    MODEL_PACKAGE_GROUP: 'mlops-dev-churn',
    EVENT_BUS_NAME: 'mlops-dev-lifecycle',
    TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:mlops-dev-notifications',
    AWS_REGION: 'eu-west-1',
  };
  const gateFailed = {
    kind: 'gate-failed',
    executionArn,
    metric: 'auc',
    value: 0.7,
    threshold: 0.9,
    reasons: ['auc 0.7000 is not at least the threshold 0.9000'],
  };

  it("announces a workflow's fact on the stage's bus, with the envelope, and e-mails nothing itself", async () => {
    Object.assign(process.env, env);
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await handler(gateFailed)).toEqual({ eventId: 'e-1' });
    expect(sns.calls()).toHaveLength(0);
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'mlops-dev-lifecycle', Source: 'mlops.mlops', DetailType: 'Quality Gate Failed', Resources: [] });
    expect(JSON.parse(entry!.Detail!)).toEqual({
      ...gateFailed,
      schemaVersion: '1',
      project: 'mlops',
      stage: 'dev',
      pipeline: 'churn',
      modelPackageGroup: 'mlops-dev-churn',
      links: {
        execution: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`,
        modelRegistry: 'https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/model-registry/mlops-dev-churn',
      },
    });
  });

  it('throws a retryable typed error when EventBridge refuses the entry (FailedEntryCount)', async () => {
    Object.assign(process.env, env);
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });
    await expect(handler(gateFailed)).rejects.toMatchObject({ name: 'EventDeliveryError', message: expect.stringContaining('ThrottlingException') });
  });

  it('e-mails a delivered event with filterable attributes', async () => {
    Object.assign(process.env, env);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const entry = factEntry(gateFailed as FactInput, lifecycleContextFromEnv(env));
    const out = await handler({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) });
    expect(out).toEqual({ messageId: 'm-1', subject: '[mlops-dev] churn: model did not pass the quality gate (auc 0.700)' });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe('arn:aws:sns:eu-west-1:111122223333:mlops-dev-notifications');
    expect(input.MessageAttributes).toEqual({
      pipeline: { DataType: 'String', StringValue: 'churn' },
      stage: { DataType: 'String', StringValue: 'dev' },
      kind: { DataType: 'String', StringValue: 'gate-failed' },
    });
    expect(bus.calls()).toHaveLength(0);
  });

  it("refuses another pipeline's or stage's event, a detail-type that does not match its kind, and an unknown kind, with typed errors", async () => {
    Object.assign(process.env, env);
    const entry = factEntry(gateFailed as FactInput, lifecycleContextFromEnv(env));
    const detail = JSON.parse(entry.Detail);
    await expect(handler({ source: entry.Source, 'detail-type': entry.DetailType, detail: { ...detail, pipeline: 'other' } })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    // A promoting stage's bus also carries its source stage's Model Live events: never e-mailed as this stage's.
    await expect(handler({ source: entry.Source, 'detail-type': entry.DetailType, detail: { ...detail, stage: 'prod' } })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    await expect(handler({ source: entry.Source, 'detail-type': 'Model Live', detail })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handler({ kind: 'party', executionArn })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sns.calls()).toHaveLength(0);
    expect(bus.calls()).toHaveLength(0);
  });
});
