import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambdas/dataset-trigger/handler';
import event from '../fixtures/events/s3-object-created.json';

const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:mlops-dev-breast-cancer-training';

beforeEach(() => {
  process.env.PIPELINE_NAME = 'breast-cancer';
  process.env.LANDING_BUCKET = 'mlops-dev-landing-111122223333-eu-west-1';
  process.env.STATE_MACHINE_ARN = ARN;
});
afterEach(() => {
  sfn.reset();
  s3.reset();
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
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it('treats ExecutionAlreadyExists as success: the dataset already has its run', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(handler(event)).resolves.toMatchObject({ action: 'already-started' });
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
