import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, afterAll } from 'vitest';
import { createHandler as cleanupHandler, sageMakerJanitor } from '../../lambdas/endpoint-cleanup/handler';
import { cloudWatchMetrics, createHandler, sageMakerReader, sfnRunning } from '../../lambdas/deployment/handler';
import type { FactInput } from '../../lambdas/shared/lifecycle';
import { memoryLogger } from '../../lambdas/shared/logger';
import { MemoryObjectStore } from '../../offline/memory-store';
import { validateAwsRequest } from '../../offline/api-models';

const sm = mockClient(SageMakerClient);
const cw = mockClient(CloudWatchClient);
const sfn = mockClient(SFNClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  sm.restore();
  cw.restore();
  sfn.restore();
});
afterEach(() => {
  sm.reset();
  cw.reset();
  sfn.reset();
});
const notFound = () => Object.assign(new Error('Could not find endpoint "mlops-dev-churn".'), { name: 'ValidationException' });

describe('deployment Lambda adapters', () => {
  it('reads a missing endpoint as "none", and any other error as an error', async () => {
    const reader = sageMakerReader(new SageMakerClient({}));
    sm.on(DescribeEndpointCommand)
      .rejectsOnce(notFound())
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await reader.describeEndpoint('mlops-dev-churn')).toBeUndefined();
    await expect(reader.describeEndpoint('mlops-dev-churn')).rejects.toThrow('Rate exceeded');
  });

  it('asks CloudWatch for the four variant metrics over the window in one valid GetMetricData call, and sums them', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'invocations', Values: [600, 400] },
        { Id: 'errors5xx', Values: [3] },
        { Id: 'modelerrors', Values: [] },
        { Id: 'p99', Values: [12_000, 15_000] },
      ],
    });
    const m = await cloudWatchMetrics(new CloudWatchClient({})).variantMetrics(
      'mlops-dev-churn',
      'shadow',
      new Date('2026-11-22T10:00:00Z'),
      new Date('2026-11-22T11:00:30Z'),
    );
    expect(m).toEqual({ invocations: 1000, errors: 3, p99LatencyUs: 15_000 });
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    validateAwsRequest('cloudwatch', 'GetMetricData', { ...input, StartTime: input.StartTime!.toISOString(), EndTime: input.EndTime!.toISOString() });
    expect(input.MetricDataQueries!.map((q) => [q.MetricStat!.Metric!.MetricName, q.MetricStat!.Stat, q.MetricStat!.Period])).toEqual([
      ['Invocations', 'Sum', 3660],
      ['Invocation5XXErrors', 'Sum', 3660],
      ['InvocationModelErrors', 'Sum', 3660],
      ['ModelLatency', 'p99', 3660],
    ]);
    expect(input.MetricDataQueries![0]!.MetricStat!.Metric!.Dimensions).toEqual([
      { Name: 'EndpointName', Value: 'mlops-dev-churn' },
      { Name: 'VariantName', Value: 'shadow' },
    ]);
  });

  it('reports no datapoints as missing numbers, not zeros', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'invocations', Values: [] }] });
    expect(await cloudWatchMetrics(new CloudWatchClient({})).variantMetrics('e', 'shadow', new Date(0), new Date(60_000))).toEqual({});
  });

  it('lists only running executions of the workflow', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: 'arn:x', stateMachineArn: 'arn:sm', name: 'x', status: 'RUNNING', startDate: new Date('2026-11-22T10:00:00Z') }],
    });
    expect(await sfnRunning(new SFNClient({}))('arn:sm')).toEqual([{ executionArn: 'arn:x', startDate: new Date('2026-11-22T10:00:00Z') }]);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ stateMachineArn: 'arn:sm', statusFilter: 'RUNNING' });
  });

  it('reads every page of running executions (#12 review: one page held at most 100)', async () => {
    const exec = (n: number) => ({ executionArn: `arn:x${n}`, stateMachineArn: 'arn:sm', name: `x${n}`, status: 'RUNNING' as const, startDate: new Date(n) });
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [exec(1)], nextToken: 't1' })
      .resolvesOnce({ executions: [exec(2)] });
    expect((await sfnRunning(new SFNClient({}))('arn:sm')).map((e) => e.executionArn)).toEqual(['arn:x1', 'arn:x2']);
    expect(sfn.commandCalls(ListExecutionsCommand)[1]!.args[0].input).toMatchObject({ nextToken: 't1', statusFilter: 'RUNNING' });
  });

  it('plans from the described endpoint config', async () => {
    sm.on(DescribeEndpointCommand).resolves({
      EndpointName: 'mlops-dev-churn',
      EndpointStatus: 'InService',
      EndpointConfigName: 'cfg',
      EndpointArn: 'a',
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
      // Auto-scaling runs the variant on 3 instances; its config says 1.
      ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 3, DesiredInstanceCount: 3 }],
    });
    sm.on(DescribeEndpointConfigCommand).resolves({
      EndpointConfigName: 'cfg',
      EndpointConfigArn: 'a',
      CreationTime: new Date(),
      ProductionVariants: [{ VariantName: 'primary', ModelName: 'mlops-dev-churn--m1-aaaaaaaa', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    sm.on(DescribeModelCommand, { ModelName: 'mlops-dev-churn--m1-aaaaaaaa' }).resolves({
      ModelName: 'mlops-dev-churn--m1-aaaaaaaa',
      ModelArn: 'a',
      CreationTime: new Date(),
      PrimaryContainer: { ModelPackageName: 'arn:aws:sagemaker:eu-west-1:1:model-package/mlops-dev-churn/1' },
    });
    const announced: FactInput[] = [];
    const handler = createHandler(
      {
        sageMaker: {
          ...sageMakerReader(new SageMakerClient({})),
          describeModelPackage: async () => ({ group: 'mlops-dev-churn', version: 2, approvalStatus: 'Approved' }),
        },
        metrics: cloudWatchMetrics(new CloudWatchClient({})),
        store: new MemoryObjectStore(),
        running: async () => [],
        announce: async (f) => String(announced.push(f)),
        log: memoryLogger(),
      },
      {
        PROJECT: 'mlops',
        STAGE: 'dev',
        PIPELINE_NAME: 'churn',
        EVENT_BUS_NAME: 'mlops-dev-lifecycle',
        RESOURCE_PREFIX: 'mlops-dev-churn',
        ENDPOINT_NAME: 'mlops-dev-churn',
        MODEL_PACKAGE_GROUP: 'mlops-dev-churn',
        PROBLEM_TYPE: 'binary_classification',
        CAPTURE_BUCKET: 'cap',
        CAPTURE_PREFIX: 'churn/datacapture',
        MAX_TURN_ATTEMPTS: '48',
        DEPLOYMENT_SETTINGS: JSON.stringify({
          variant: { instanceType: 'ml.m5.large', instanceCount: 1, shadowSamplingPercent: 100 },
          rules: { minInvocations: 1, onInsufficientData: 'rollback', maxErrorRateIncrease: 0, maxLatencyIncreasePercent: 0, minAgreementPairs: 1 },
          agreementTolerance: 0,
        }),
      },
    );
    const plan = (await handler({
      action: 'plan',
      modelPackageArn: 'arn:aws:sagemaker:eu-west-1:1:model-package/mlops-dev-churn/2',
      executionName: 'v2-x',
      executionArn: 'arn:aws:states:eu-west-1:1:execution:mlops-dev-churn-deployment:v2-x',
    })) as unknown as { mode: string; currentModelName: string; configs: Record<string, { productionVariants: { InitialInstanceCount?: number }[] }> };
    expect(plan).toMatchObject({
      mode: 'shadow',
      currentModelName: 'mlops-dev-churn--m1-aaaaaaaa',
      live: { modelPackageArn: 'arn:aws:sagemaker:eu-west-1:1:model-package/mlops-dev-churn/1', version: '1' },
      replaces: { version: '1', earlier: false },
    });
    // A restore puts back the capacity production has now, not its config's initial count.
    expect(plan.configs.recover!.productionVariants[0]!.InitialInstanceCount).toBe(3);
    expect(plan.configs.restore!.productionVariants[0]!.InitialInstanceCount).toBe(3);
    expect(announced).toEqual([
      {
        kind: 'deployment-started',
        executionArn: 'arn:aws:states:eu-west-1:1:execution:mlops-dev-churn-deployment:v2-x',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:1:model-package/mlops-dev-churn/2',
        endpointName: 'mlops-dev-churn',
        mode: 'shadow',
      },
    ]);
    await expect(handler({ action: 'compare', start: 'yesterday', end: 'today' })).rejects.toThrow(/bad deployment task: start: /);
  });
});

describe('endpoint clean-up custom resource', () => {
  const event = (RequestType: string, Retain = 'false') => ({
    RequestType,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/mlops-dev-churn/1',
    RequestId: 'r-1',
    LogicalResourceId: 'ModelDeploymentRuntimeResources',
    PhysicalResourceId: 'runtime-resources-mlops-dev-churn',
    ResourceProperties: { ServiceToken: 'arn', EndpointName: 'mlops-dev-churn', NamePrefix: 'mlops-dev-churn--', Retain },
  });
  const run = async (e: unknown) => {
    const replies: Record<string, unknown>[] = [];
    await cleanupHandler({
      janitor: sageMakerJanitor(new SageMakerClient({})),
      respond: async (_u, body) => void replies.push(body),
      log: memoryLogger(),
      sleep: async () => {},
    })(e);
    return replies;
  };

  it("deletes the endpoint, waits until it is gone, then its configs and models, and only the pipeline's", async () => {
    sm.on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: 'InService' } as never)
      .resolvesOnce({ EndpointStatus: 'Deleting' } as never)
      .rejects(notFound());
    sm.on(ListEndpointConfigsCommand).resolves({
      EndpointConfigs: [
        { EndpointConfigName: 'mlops-dev-churn--c1-aaaaaaaa-p', EndpointConfigArn: 'a', CreationTime: new Date() },
        { EndpointConfigName: 'x-mlops-dev-churn--c1', EndpointConfigArn: 'b', CreationTime: new Date() },
      ],
    });
    sm.on(ListModelsCommand).resolves({ Models: [{ ModelName: 'mlops-dev-churn--m1-aaaaaaaa', ModelArn: 'a', CreationTime: new Date() }] });
    const replies = await run(event('Delete'));
    expect(replies).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'runtime-resources-mlops-dev-churn',
        RequestId: 'r-1',
        Data: { models: 1, endpointConfigs: 1 },
      }),
    ]);
    expect(sm.commandCalls(DeleteEndpointCommand).map((c) => c.args[0].input)).toEqual([{ EndpointName: 'mlops-dev-churn' }]);
    expect(sm.commandCalls(DeleteEndpointConfigCommand).map((c) => c.args[0].input.EndpointConfigName)).toEqual(['mlops-dev-churn--c1-aaaaaaaa-p']);
    expect(sm.commandCalls(DeleteModelCommand).map((c) => c.args[0].input.ModelName)).toEqual(['mlops-dev-churn--m1-aaaaaaaa']);
    for (const call of sm.calls())
      validateAwsRequest(
        'sagemaker',
        (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''),
        (call.args[0] as { input: unknown }).input,
      );
  });

  it('answers FAILED, naming the field, to a request it cannot read (CloudFormation would otherwise wait an hour)', async () => {
    const bad = { ...event('Delete'), ResourceProperties: { EndpointName: 'mlops-dev-churn' } };
    expect((await run(bad))[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('ResourceProperties.NamePrefix'), RequestId: 'r-1' });
    expect(sm.calls()).toHaveLength(0);
  });

  it('keeps everything when retainOnDelete is set, and does nothing on create', async () => {
    expect((await run(event('Delete', 'true')))[0]).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringContaining('retained') });
    expect((await run(event('Create')))[0]).toMatchObject({ Status: 'SUCCESS' });
    expect(sm.calls()).toHaveLength(0);
  });

  it('fails the stack deletion with the reason when the endpoint does not go away (bounded wait)', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Deleting' } as never);
    const replies = await run(event('Delete'));
    expect(replies[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/still deleting after 48 checks/) });
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(49);
  });
});
