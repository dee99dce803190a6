import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { parseS3Uri } from '../../lambdas/shared/object-store';
import { stateMachines } from '../../offline/cfn';
import { type DeploymentOutcome, PIPELINE_TAGS, runDeploymentWorkflow, SHADOW_TIME } from '../helpers/deployment-harness';
import { synthPlatform } from '../../offline/synth';

/**
 * The synthesized deployment workflow, run by aws-local-stepfunctions. Every SageMaker and
 * Application Auto Scaling request is validated against the official API model, then answered
 * by an in-memory SageMaker; the deployment and notify Lambdas are the real handlers.
 */
const ENDPOINT = 'mlops-dev-breast-cancer';
const GOOD = { production: { invocations: 1000, errors: 2, p99LatencyUs: 20_000 }, shadow: { invocations: 1000, errors: 2, p99LatencyUs: 21_000 } };

let template: Template;
beforeAll(() => {
  const s = synthPlatform();
  template = s.template(s.stages.get('dev')!.pipelines[0]!);
});

const ops = (run: DeploymentOutcome) => run.requests.filter((r) => r.state !== 'Plan').map((r) => `${r.state}:${r.operation}`);
const req = (run: DeploymentOutcome, state: string) => {
  const found = run.requests.find((r) => r.state === state);
  if (!found) throw new Error(`no ${state} request; tasks ran: ${run.tasks.join(', ')}`);
  return found.params;
};

describe('the first deployment (no endpoint yet)', () => {
  let run: DeploymentOutcome;
  beforeAll(async () => {
    run = await runDeploymentWorkflow(template);
  });

  it('creates the model from the package, an endpoint config and the endpoint, waits for InService, then scales and notifies', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(ops(run)).toEqual([
      'CreateModel:createModel',
      'CreateEndpointConfig:createEndpointConfig',
      'CreateEndpoint:createEndpoint',
      'DescribeCreated:describeEndpoint',
      'DescribeCreated:describeEndpoint',
      'CreatedRegisterScaling:registerScalableTarget',
      'CreatedScalingPolicy:putScalingPolicy',
      'MarkLiveCreated:addTags',
    ]);
    expect(run.endpoint).toEqual({ status: 'InService', config: expect.stringMatching(/^mlops-dev-breast-cancer--c7-[0-9a-f]{8}-p$/) });
  });

  it("creates the model from the approved package, network-isolated, as the served model's own role", () => {
    expect(req(run, 'CreateModel')).toMatchObject({
      ModelName: expect.stringMatching(/^mlops-dev-breast-cancer--m7-[0-9a-f]{8}$/),
      PrimaryContainer: { ModelPackageName: expect.stringContaining(':model-package/mlops-dev-breast-cancer/7') },
      EnableNetworkIsolation: true,
      ExecutionRoleArn: expect.stringContaining('SageMakerModelRole'),
    });
  });

  it('encrypts the endpoint volume and captures inputs and outputs with the data key', () => {
    const c = req(run, 'CreateEndpointConfig');
    expect(c.ProductionVariants).toEqual([
      { VariantName: 'primary', ModelName: req(run, 'CreateModel').ModelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ]);
    expect(c.KmsKeyId).toMatch(/^arn:aws:kms:/);
    expect(c.DataCaptureConfig).toMatchObject({
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      DestinationS3Uri: 's3://mlops-dev-capture-111122223333-eu-west-1/breast-cancer/datacapture',
      KmsKeyId: c.KmsKeyId,
    });
    expect(c.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'mlops:pipeline', Value: 'breast-cancer' },
        { Key: 'mlops:stage', Value: 'dev' },
      ]),
    );
  });

  it('scales the production variant on invocations per instance, from 1 to 4 instances', () => {
    expect(req(run, 'CreatedRegisterScaling')).toEqual({
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${ENDPOINT}/variant/primary`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
      Tags: PIPELINE_TAGS,
    });
    expect(run.scalableTargetTags).toEqual(PIPELINE_TAGS);
    expect(req(run, 'CreatedScalingPolicy').TargetTrackingScalingPolicyConfiguration).toMatchObject({
      TargetValue: 1000,
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
    });
  });

  it('tells the operator the model is live, with the endpoint console link', () => {
    expect(run.notifications.map((n) => n.subject)).toEqual([`[mlops-dev] breast-cancer: model v7 is live on ${ENDPOINT} (created)`]);
    expect(run.notifications[0]!.body).toContain(`https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/${ENDPOINT}`);
  });
});

describe('a shadow test that passes', () => {
  let run: DeploymentOutcome;
  beforeAll(async () => {
    run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m6-11111111` }, metrics: GOOD, pollsUntilInService: 2 });
  });

  it('adds the new model as a shadow beside the current production variant, then promotes it blue/green', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(ops(run).filter((o) => !o.includes('describeEndpoint'))).toEqual([
      'CreateModel:createModel',
      'CreateShadowConfig:createEndpointConfig',
      'StartShadow:updateEndpoint',
      'CreatePromotionConfig:createEndpointConfig',
      'PauseScaling:deregisterScalableTarget',
      'Promote:updateEndpoint',
      'PromotedRegisterScaling:registerScalableTarget',
      'PromotedScalingPolicy:putScalingPolicy',
      'MarkLivePromoted:addTags',
      'UnmarkReplacedPromoted:deleteTags',
    ]);
    const shadow = req(run, 'CreateShadowConfig');
    expect(shadow.ProductionVariants).toEqual([
      { VariantName: 'primary', ModelName: `${ENDPOINT}--m6-11111111`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ]);
    expect(shadow.ShadowProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'shadow', ModelName: req(run, 'CreateModel').ModelName, InitialVariantWeight: 1 }),
    ]);
    expect(req(run, 'StartShadow')).toMatchObject({ RetainAllVariantProperties: true });
  });

  it("promotes with the same variant name, guarded by the stack's 5XX and latency alarms", () => {
    const promote = req(run, 'Promote');
    expect(req(run, 'CreatePromotionConfig').ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'primary', ModelName: req(run, 'CreateModel').ModelName }),
    ]);
    expect(promote.DeploymentConfig).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
        TerminationWaitInSeconds: 600,
        MaximumExecutionTimeoutInSeconds: 2400,
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: `${ENDPOINT}-primary-5xx` }, { AlarmName: `${ENDPOINT}-primary-p99-latency` }] },
    });
    expect(run.endpoint?.config).toBe(req(run, 'CreatePromotionConfig').EndpointConfigName);
    expect(run.packageStatus).toBe('Approved');
  });

  it('waits while the endpoint updates, polling DescribeEndpoint', () => {
    expect(run.tasks.filter((t) => t === 'DescribeShadow')).toHaveLength(3);
  });

  it('reports the comparison in the promotion message', () => {
    expect(run.notifications).toHaveLength(1);
    expect(run.notifications[0]!.subject).toBe(`[mlops-dev] breast-cancer: model v7 is live on ${ENDPOINT} (promoted)`);
    expect(run.notifications[0]!.body).toContain('p99 latency:  20.0 ms vs 21.0 ms');
  });

  it('announces the deployment, the shadow verdict with its evidence, and the model live, in that order', () => {
    expect(run.events.map((e) => e['detail-type'])).toEqual(['Deployment Started', 'Shadow Verdict', 'Model Live']);
    const [started, verdict, live] = run.events;
    expect(started!.detail).toMatchObject({
      mode: 'shadow',
      endpointName: ENDPOINT,
      modelPackageVersion: 7,
      executionArn: expect.stringContaining(':execution:'),
    });
    expect(verdict!.detail.comparison).toMatchObject({ decision: 'promote', basis: 'evidence', shadow: { p99LatencyMs: 21 } });
    expect(live!.detail).toMatchObject({ how: 'promoted', executionArn: started!.detail.executionArn });
  });
});

describe('a scalable target registered by an earlier version, without tags (#13 item 3)', () => {
  it("is tagged as the pipeline's by the next deployment, so the tag-scoped grants keep working", async () => {
    // A failed shadow test restores production without deregistering: RegisterScalableTarget updates the old target, which it does not tag.
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111`, scalableTargetTags: {} },
      metrics: { production: GOOD.production, shadow: { invocations: 1000, errors: 90, p99LatencyUs: 21_000 } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(ops(run)).not.toContain('PauseScaling:deregisterScalableTarget');
    expect(req(run, 'RestoredTagScaling')).toEqual({
      ResourceARN: expect.stringMatching(/^arn:aws:application-autoscaling:eu-west-1:111122223333:scalable-target\/[0-9a-f]{36}$/),
      Tags: PIPELINE_TAGS,
    });
    expect(run.scalableTargetTags).toEqual(PIPELINE_TAGS);
  });
});

describe('a shadow test that fails', () => {
  it('restores the production-only config, rejects the package with the reason and says why', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: { production: GOOD.production, shadow: { invocations: 1000, errors: 90, p99LatencyUs: 21_000 } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toBeDefined();
    expect(ops(run).filter((o) => !o.includes('describeEndpoint'))).toEqual([
      'CreateModel:createModel',
      'CreateShadowConfig:createEndpointConfig',
      'StartShadow:updateEndpoint',
      'CreateRestoreConfig:createEndpointConfig',
      'RestoreProduction:updateEndpoint',
      'RestoredRegisterScaling:registerScalableTarget',
      'RestoredTagScaling:tagResource',
      'RestoredScalingPolicy:putScalingPolicy',
      'RejectPackage:updateModelPackage',
    ]);
    expect(req(run, 'CreateRestoreConfig').ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'primary', ModelName: `${ENDPOINT}--m6-11111111` }),
    ]);
    expect(req(run, 'CreateRestoreConfig').ShadowProductionVariants).toBeUndefined();
    expect(req(run, 'RejectPackage')).toMatchObject({
      ModelApprovalStatus: 'Rejected',
      ApprovalDescription: expect.stringMatching(/^Rolled back by the deployment workflow: \["shadow error rate 9\.00%/),
    });
    expect(run.packageStatus).toBe('Rejected');
    expect(run.notifications.map((n) => n.subject)).toEqual([`[mlops-dev] breast-cancer: model v7 rolled back on ${ENDPOINT}`]);
    expect(run.notifications[0]!.body).toContain("- shadow error rate 9.00% exceeds production's 0.20%");
    expect(run.events.map((e) => e['detail-type'])).toEqual(['Deployment Started', 'Shadow Verdict', 'Model Rolled Back']);
    expect(run.events[1]!.detail.comparison).toMatchObject({
      decision: 'rollback',
      reasons: expect.arrayContaining([expect.stringContaining('shadow error rate 9.00%')]),
    });
  });

  it('rolls back when the shadow is slower than allowed', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: { production: GOOD.production, shadow: { invocations: 1000, errors: 2, p99LatencyUs: 30_000 } },
    });
    expect(run.packageStatus).toBe('Rejected');
    expect(run.notifications[0]!.body).toContain("shadow p99 latency 30.0 ms exceeds production's 20.0 ms by more than 20%");
  });

  it('rolls back when the shadow saw no traffic (promotion.onInsufficientData defaults to rollback)', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m6-11111111` }, metrics: {} });
    expect(run.packageStatus).toBe('Rejected');
    expect(run.notifications[0]!.body).toContain('the shadow variant received 0 requests, fewer than the 100 required');
  });

  it('restores production when SageMaker auto-rolls the promotion back on an alarm, and scales it again', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m6-11111111` }, metrics: GOOD, autoRollback: true });
    expect(run.tasks).toContain('Promote');
    expect(run.tasks).toContain('RestoreProduction');
    expect(run.tasks.indexOf('RestoredRegisterScaling')).toBeGreaterThan(run.tasks.indexOf('PauseScaling'));
    expect(run.packageStatus).toBe('Rejected');
    expect(run.notifications[0]!.body).toContain('an auto-rollback alarm');
    expect(run.endpoint?.config).toBe(req(run, 'CreateRestoreConfig').EndpointConfigName);
  });
});

describe('prediction agreement from data capture', () => {
  it('rolls back a shadow that answers differently, reading capture where the endpoint config writes it', async () => {
    const def = stateMachines(template).find((m) => m.logicalId.startsWith('ModelDeploymentWorkflow'))!.definition;
    // The shadow config sends the data capture the Requests state holds (one copy for every config).
    expect(def.States.CreateShadowConfig.Parameters['DataCaptureConfig.$']).toBe('$.requests.dataCapture');
    const { bucket, key } = parseS3Uri(def.States.Requests.Result.dataCapture.DestinationS3Uri);
    const hour = SHADOW_TIME.slice(0, 13).replace(/[-T]/g, '/');
    const lines = (scores: number[]) =>
      scores
        .map((p, i) =>
          JSON.stringify({ captureData: { endpointInput: { data: `${i},1.5`, encoding: 'CSV' }, endpointOutput: { data: String(p), encoding: 'CSV' } } }),
        )
        .join('\n');
    const production = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.9 : 0.1));
    const shadow = production.map((p, i) => (i < 10 ? 1 - p : p));
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: GOOD,
      capture: { [`${key}/${ENDPOINT}/primary/${hour}/a.jsonl`]: lines(production), [`${key}/${ENDPOINT}/shadow/${hour}/b.jsonl`]: lines(shadow) },
      captureBucket: bucket,
    });
    expect(run.packageStatus).toBe('Rejected');
    expect(run.notifications[0]!.body).toContain('- the models agree on 75.00% of 40 mirrored requests, below 95.00% (promotion.minAgreement)');
  });
});

describe('a busy endpoint', () => {
  it('waits while the endpoint is updating when the deployment starts (the plan step retries)', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: GOOD,
      failures: { Plan: { error: 'EndpointBusyError', cause: 'endpoint mlops-dev-breast-cancer is Updating; the deployment waits for InService', times: 3 } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'Plan')).toHaveLength(4);
  });

  it('retries an UpdateEndpoint refused with "Cannot update in-progress endpoint" until it goes through', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: GOOD,
      failures: {
        StartShadow: {
          error: 'SageMaker.AmazonSageMakerException',
          cause: 'Cannot update in-progress endpoint "mlops-dev-breast-cancer". (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)',
          times: 4,
        },
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'StartShadow')).toHaveLength(5);
  });
});

describe('failures', () => {
  it('fails with a readable cause and a notification when the model cannot be created', async () => {
    const run = await runDeploymentWorkflow(template, {
      failures: {
        CreateModel: {
          error: 'SageMaker.AmazonSageMakerException',
          cause: 'Could not access model data at s3://mlops-dev-artifacts/breast-cancer/runs/x/model.tar.gz',
        },
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SageMaker.AmazonSageMakerException');
    expect(run.tasks.filter((t) => t === 'CreateModel')).toHaveLength(6);
    expect(run.tasks).not.toContain('CreateEndpoint');
    expect(run.notifications.map((n) => n.subject)).toEqual(['[mlops-dev] breast-cancer: deployment of model v7 failed (SageMaker.AmazonSageMakerException)']);
    expect(run.notifications[0]!.body).toContain('Could not access model data');
  });

  it('deploys nothing when the package is no longer Approved', async () => {
    const run = await runDeploymentWorkflow(template, { approvalStatus: 'Rejected' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PackageNotDeployableError');
    expect(run.tasks).not.toContain('CreateModel');
  });

  it("fails with SageMaker's FailureReason when the new endpoint ends Failed", async () => {
    const run = await runDeploymentWorkflow(template, {
      endpointFailure: 'The primary container for production variant primary did not pass the ping health check.',
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EndpointFailed');
    expect(run.tasks).not.toContain('CreatedRegisterScaling');
    expect(run.notifications[0]!.body).toContain('Cause: The primary container for production variant primary did not pass the ping health check.');
  });
});

describe('a serverless endpoint', () => {
  it('replaces the model blue/green without a shadow test, capture or volume key, and without auto-scaling', async () => {
    const s = synthPlatform({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], deployment: { serverless: { memorySizeMb: 3072, maxConcurrency: 10 } } }] });
    const serverless = s.template(s.stages.get('dev')!.pipelines[0]!);
    const run = await runDeploymentWorkflow(serverless, { endpoint: { model: `${ENDPOINT}--m6-11111111`, serverless: true } });
    expect(run.status).toBe('SUCCEEDED');
    expect(ops(run).filter((o) => !o.includes('describeEndpoint'))).toEqual([
      'CreateModel:createModel',
      'CreatePromotionConfig:createEndpointConfig',
      'Promote:updateEndpoint',
      'MarkLivePromoted:addTags',
      'UnmarkReplacedPromoted:deleteTags',
    ]);
    const config = req(run, 'CreatePromotionConfig');
    expect(config.ProductionVariants).toEqual([
      { VariantName: 'primary', ModelName: req(run, 'CreateModel').ModelName, ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 10 } },
    ]);
    expect(config.DataCaptureConfig).toBeUndefined();
    expect(config.KmsKeyId).toBeUndefined();
    expect(run.notifications[0]!.subject).toContain('(replaced)');
  });
});

describe('one deployment per endpoint', () => {
  const other = {
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-breast-cancer-deployment:v6-aaa',
    startDate: new Date('2026-11-22T09:00:00Z'),
  };

  it('waits while an earlier approval deploys, says so once, then goes', async () => {
    const run = await runDeploymentWorkflow(template, { running: (check) => (check < 3 ? [other] : []) });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'CheckTurn')).toHaveLength(4);
    expect(run.notifications.map((n) => n.subject)).toEqual([
      '[mlops-dev] breast-cancer: deployment of model v7 waits for another deployment',
      '[mlops-dev] breast-cancer: model v7 is live on mlops-dev-breast-cancer (created)',
    ]);
  });

  it('gives up with a notification when the other deployment never ends', async () => {
    const run = await runDeploymentWorkflow(template, { running: () => [other] });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DeploymentQueueTimeout');
    expect(run.tasks).not.toContain('Plan');
    expect(run.tasks.filter((t) => t === 'CheckTurn')).toHaveLength(48);
  });
});
