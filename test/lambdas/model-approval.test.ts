import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, afterAll } from 'vitest';
import { createHandler } from '../../lambdas/model-approval/handler';
import { eventBridgePublisher, lifecycleContextFromEnv } from '../../lambdas/shared/event-publisher';
import { emailOf } from '../helpers/lifecycle-loop';
import { memoryLogger } from '../../lambdas/shared/logger';
import documented from '../fixtures/events/sagemaker-model-package-state-change.json';

/**
 * The fixture is the example event of the SageMaker developer guide ("Events that Amazon
 * SageMaker AI sends to Amazon EventBridge", model package state change), minus a duplicated
 * "source" key that the page's JSON has and JSON.parse would resolve to an array.
 */
const sfn = mockClient(SFNClient);
const bus = mockClient(EventBridgeClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  sfn.restore();
  bus.restore();
});
const ARN = 'arn:aws:states:us-east-2:123456789012:stateMachine:mlops-dev-abalone-deployment';
const env = {
  MODEL_PACKAGE_GROUP: 'versionedmp-p-idy6c3e1fiqj',
  STATE_MACHINE_ARN: ARN,
  EVENT_BUS_NAME: 'mlops-dev-lifecycle',
  PROJECT: 'mlops',
  STAGE: 'dev',
  PIPELINE_NAME: 'abalone',
  AWS_REGION: 'us-east-2',
};
const handler = createHandler(
  { sfn: new SFNClient({}), announce: (f) => eventBridgePublisher(new EventBridgeClient({}), lifecycleContextFromEnv(env))(f), log: memoryLogger() },
  env,
);
const withDetail = (patch: Record<string, unknown>) => ({ ...documented, detail: { ...documented.detail, ...patch } });

afterEach(() => {
  sfn.reset();
  bus.reset();
});

describe('model-approval handler', () => {
  it('starts the deployment of an approved package once, with who approved it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const out = await handler(withDetail({ ModelApprovalStatus: 'Approved', LastModifiedBy: { UserProfileName: 'alice' }, ApprovalDescription: 'looks good' }));
    expect(out).toEqual({ action: 'deployment-started', executionName: expect.stringMatching(/^v2-[0-9a-f]{16}$/) });
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(ARN);
    expect(JSON.parse(call.input!)).toEqual({
      modelPackageArn: documented.detail.ModelPackageArn,
      modelPackageGroup: 'versionedmp-p-idy6c3e1fiqj',
      version: 2,
      approvedBy: 'alice',
      approvalDescription: 'looks good',
    });
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('names a duplicate of the same approval event the same, so it starts nothing more', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${ARN}:x`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const event = withDetail({ ModelApprovalStatus: 'Approved' });
    const first = await handler({ ...event, id: 'event-1' });
    const second = await handler({ ...event, id: 'event-2' });
    expect(second).toEqual({ action: 'deployment-already-started', executionName: (first as { executionName: string }).executionName });
  });

  it('deploys again when the package is approved again later', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    await handler(withDetail({ ModelApprovalStatus: 'Approved' }));
    await handler(withDetail({ ModelApprovalStatus: 'Approved', LastModifiedTime: '2021-03-01T09:00:00Z' }));
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(new Set(names).size).toBe(2);
  });

  it('notifies a rejection (the documented event) and names the package', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await handler(documented)).toEqual({ action: 'rejection-notified' });
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({
      EventBusName: 'mlops-dev-lifecycle',
      Source: 'mlops.mlops',
      DetailType: 'Model Rejected',
      Resources: [documented.detail.ModelPackageArn],
    });
    const msg = await emailOf(entry!, env);
    expect(msg.subject).toBe('[mlops-dev] abalone: model v2 rejected');
    expect(msg.body).toContain(`Model package ${documented.detail.ModelPackageArn} was rejected. Nothing is deployed.`);
    expect(msg.body).toContain('No reason was given (ApprovalDescription is empty).');
  });

  it('says who rejected and why when the event carries it', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await handler(
      withDetail({
        ApprovalDescription: 'AUC dropped on the holdout',
        LastModifiedBy: { IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/Ops/bob' } },
      }),
    );
    const { body } = await emailOf(bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!, env);
    expect(body).toContain('was rejected by arn:aws:sts::123456789012:assumed-role/Ops/bob');
    expect(body).toContain('Reason: AUC dropped on the holdout');
  });

  it('stays quiet about a rejection the deployment workflow made (its rollback message said why)', async () => {
    const out = await handler(withDetail({ ApprovalDescription: 'Rolled back by the deployment workflow: ["shadow error rate 5%"]' }));
    expect(out).toEqual({ action: 'ignored', reason: 'rejected by the deployment workflow' });
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("ignores another group's package (the rule filters, the Lambda double-checks)", async () => {
    const out = await handler(withDetail({ ModelPackageGroupName: 'someone-else', ModelApprovalStatus: 'Approved' }));
    expect(out.action).toBe('ignored');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('rejects an event of another shape with the fields named (to the DLQ, nothing started)', async () => {
    await expect(handler({ ...documented, 'detail-type': 'SageMaker Model State Change' })).rejects.toThrow(/detail-type/);
    await expect(handler(withDetail({ ModelPackageArn: 'not-an-arn' }))).rejects.toThrow(/detail\.ModelPackageArn: expected a model package ARN/);
  });

  it('lets a throttled StartExecution fail the invocation, so Lambda retries and then the DLQ keeps the event', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(withDetail({ ModelApprovalStatus: 'Approved' }))).rejects.toThrow('Rate exceeded');
  });
});
