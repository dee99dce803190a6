import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { emailOf } from '../helpers/lifecycle-loop';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { handler } from '../../lambdas/dataset-trigger/handler';
import event from '../fixtures/events/s3-object-created.json';

const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const bus = mockClient(EventBridgeClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  sfn.restore();
  s3.restore();
  bus.restore();
});
const LEDGER = 'breast-cancer/datasets/2026-11-01/run.json';
const notFound = () => Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:mlops-dev-breast-cancer-training';

beforeEach(() => {
  process.env.PIPELINE_NAME = 'breast-cancer';
  process.env.LANDING_BUCKET = 'mlops-dev-landing-111122223333-eu-west-1';
  process.env.STATE_MACHINE_ARN = ARN;
  Object.assign(process.env, {
    ARTIFACTS_BUCKET: 'mlops-dev-artifacts-111122223333-eu-west-1',
    PROJECT: 'mlops',
    STAGE: 'dev',
    MODEL_PACKAGE_GROUP: 'mlops-dev-breast-cancer',
    EVENT_BUS_NAME: 'mlops-dev-lifecycle',
    IGNORE: '["_SUCCESS"]',
    AWS_REGION: 'eu-west-1',
  });
  s3.on(HeadObjectCommand).rejects(notFound());
  s3.on(PutObjectCommand).resolves({});
});
afterEach(() => {
  sfn.reset();
  s3.reset();
  bus.reset();
});

describe('dataset-trigger handler', () => {
  it('starts the workflow with a deterministic name and the dataset as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const out = await handler(event);
    expect(out).toMatchObject({ action: 'started', datasetId: '2026-11-01' });
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(ARN);
    expect(call.name).toMatch(/^breast-cancer-2026-11-01-[0-9a-f]{16}$/);
    expect(JSON.parse(call.input!)).toEqual({
      pipeline: 'breast-cancer',
      bucket: 'mlops-dev-landing-111122223333-eu-west-1',
      datasetId: '2026-11-01',
      prefix: 'breast-cancer/2026-11-01/',
      singleObject: false,
      reason: 'data-drop',
    });
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key)).toEqual([LEDGER]);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ Key: LEDGER, IfNoneMatch: '*' });
  });

  it('treats ExecutionAlreadyExists of a running execution as success: the dataset already has its run', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', executionArn: 'x', stateMachineArn: ARN, startDate: new Date() });
    await expect(handler(event)).resolves.toMatchObject({ action: 'already-started' });
    expect(bus.calls()).toHaveLength(0);
  });

  it("starts nothing for files that arrive after the dataset's run ended, and e-mails why once a day (a conditional write marks it)", async () => {
    s3.on(HeadObjectCommand, { Key: LEDGER }).resolves({});
    s3.on(GetObjectCommand, { Key: LEDGER }).resolves({
      Body: { transformToString: async () => JSON.stringify({ executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:old` }) } as never,
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', executionArn: 'x', stateMachineArn: ARN, startDate: new Date() });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await expect(handler(event)).resolves.toMatchObject({ action: 'already-trained', datasetId: '2026-11-01' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'mlops-dev-lifecycle', DetailType: 'Dataset Already Trained' });
    expect((await emailOf(entry!, process.env)).subject).toBe('[mlops-dev] breast-cancer: dataset 2026-11-01 was already trained, nothing started');
    const mark = s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
    expect(mark).toMatchObject({ Key: expect.stringMatching(/^breast-cancer\/datasets\/2026-11-01\/reupload-\d{4}-\d{2}-\d{2}$/), IfNoneMatch: '*' });
    s3.on(HeadObjectCommand, { Key: mark.Key }).resolves({});
    await expect(handler(event)).resolves.toMatchObject({ action: 'already-trained' });
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('rethrows other Step Functions errors so the event is retried and then dead-lettered', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(event)).rejects.toThrow('Rate exceeded');
  });

  it('checks which reading of an encoded key exists before starting', async () => {
    s3.on(HeadObjectCommand, { Key: 'breast-cancer/my data/x.csv' }).rejects(
      Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(HeadObjectCommand, { Key: 'breast-cancer/my+data/x.csv' }).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:y`, startDate: new Date() });
    const encoded = { ...event, detail: { ...event.detail, object: { ...event.detail.object, key: 'breast-cancer/my+data/x.csv' } } };
    await expect(handler(encoded)).resolves.toMatchObject({ action: 'started', datasetId: 'my+data' });
  });

  it('throws a typed error naming the bad field for an event that is not Object Created', async () => {
    await expect(handler({ ...event, 'detail-type': 'Object Deleted' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('detail-type'),
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('names a missing environment variable', async () => {
    delete process.env.STATE_MACHINE_ARN;
    await expect(handler(event)).rejects.toMatchObject({ name: 'MisconfiguredError', message: 'environment variable STATE_MACHINE_ARN is not set' });
  });
});
