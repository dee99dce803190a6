import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, afterAll } from 'vitest';
import { cloudWatchPublisher, sageMakerLiveModel } from '../../lambdas/drift-check/handler';
import { baselineFromLineage, DriftReportError, readReport } from '../../lambdas/drift-check/logic';
import { MemoryObjectStore } from '../../offline/memory-store';
import { validateAwsRequest } from '../../offline/api-models';

const sm = mockClient(SageMakerClient);
const cw = mockClient(CloudWatchClient);
// isolate: false shares modules between files: give the real clients back when this file is done.
afterAll(() => {
  sm.restore();
  cw.restore();
});
afterEach(() => {
  sm.reset();
  cw.reset();
});

describe('drift-check logic', () => {
  const env = { artifactsBucket: 'art', pipeline: 'churn' };
  it("finds the baseline of the run a package came from, and only of this pipeline's runs", () => {
    expect(baselineFromLineage('s3://art/churn/runs/abc123/input/lineage.json', env)).toBe('s3://art/churn/runs/abc123/data/baseline/');
    expect(baselineFromLineage('s3://other/churn/runs/abc123/input/lineage.json', env)).toBeUndefined();
    expect(baselineFromLineage('s3://art/fraud/runs/abc123/input/lineage.json', env)).toBeUndefined();
    expect(baselineFromLineage('s3://art/churn/runs/abc123/input/other.json', env)).toBeUndefined();
  });

  it('refuses a missing or malformed report with a typed error', async () => {
    const store = new MemoryObjectStore();
    await expect(readReport(store, 's3://art/churn/monitoring/x/drift/')).rejects.toThrow(DriftReportError);
    store.put('art', 'churn/monitoring/x/drift/drift.json', '{"status":"maybe"}');
    await expect(readReport(store, 's3://art/churn/monitoring/x/drift/')).rejects.toThrow(/drift\.json: status: /);
  });
});

describe('drift-check adapters', () => {
  it("follows the endpoint to the primary variant's model and its package", async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: 'cfg' } as never);
    sm.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'primary', ModelName: 'm1' }] } as never);
    sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { ModelPackageName: 'arn:pkg/7' } } as never);
    sm.on(DescribeModelPackageCommand).resolves({ CustomerMetadataProperties: { lineage: 's3://art/churn/runs/r/input/lineage.json' } } as never);
    const r = sageMakerLiveModel(new SageMakerClient({}));
    expect(await r.liveModel('e')).toEqual({ modelName: 'm1' });
    expect(await r.modelPackageOf('m1')).toBe('arn:pkg/7');
    expect(await r.lineageOf('arn:pkg/7')).toBe('s3://art/churn/runs/r/input/lineage.json');
  });

  it('treats a missing or updating endpoint as nothing to check', async () => {
    sm.on(DescribeEndpointCommand)
      .rejectsOnce(Object.assign(new Error('Could not find endpoint "e".'), { name: 'ValidationException' }))
      .resolves({ EndpointStatus: 'Updating' } as never);
    const r = sageMakerLiveModel(new SageMakerClient({}));
    expect(await r.liveModel('e')).toEqual({ none: 'endpoint e does not exist yet' });
    expect(await r.liveModel('e')).toEqual({ none: 'endpoint e is Updating' });
  });

  it("publishes DriftedFeatures in the pipeline's own namespace in a valid PutMetricData request", async () => {
    cw.on(PutMetricDataCommand).resolves({});
    await cloudWatchPublisher(new CloudWatchClient({}))('mlops-dev-churn', 3);
    const input = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input;
    validateAwsRequest('cloudwatch', 'PutMetricData', input);
    expect(input).toEqual({
      Namespace: 'MLOps/mlops-dev-churn',
      MetricData: [{ MetricName: 'DriftedFeatures', Dimensions: [{ Name: 'Pipeline', Value: 'mlops-dev-churn' }], Value: 3, Unit: 'Count' }],
    });
  });
});
