import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { planDeployment } from '../../lambdas/deployment/plan';
import { synthPlatform } from '../../offline/synth';
import { PACKAGE_ARN, runDeploymentWorkflow } from '../helpers/deployment-harness';

/**
 * Approvals that change nothing, and going back to an earlier version: decided from what the
 * endpoint's production variant actually serves, through the synthesized deployment workflow.
 */
const ENDPOINT = 'mlops-dev-breast-cancer';
const GOOD = { production: { invocations: 1000, errors: 2, p99LatencyUs: 20_000 }, shadow: { invocations: 1000, errors: 2, p99LatencyUs: 21_000 } };
const NO_TRAFFIC = { production: { invocations: 0 }, shadow: { invocations: 0 } };
const v = (n: number) => PACKAGE_ARN.replace(/\/7$/, `/${n}`);

let template: Template;
beforeAll(() => {
  const s = synthPlatform();
  template = s.template(s.stages.get('dev')!.pipelines[0]!);
});

describe('an event for the version production already serves (an edit, or the approval sent again)', () => {
  it('deploys nothing, rejects nothing and e-mails nothing, even with no traffic to compare', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m7-11111111`, modelPackageArn: PACKAGE_ARN }, metrics: NO_TRAFFIC });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.requests.filter((r) => r.state !== 'Plan').map((r) => r.operation)).toEqual([]);
    expect(run.packageStatus).toBe('Approved');
    expect(run.notifications).toEqual([]);
    expect(run.live).toEqual([PACKAGE_ARN]);
  });

  it('decides from the production variant, not from the event: another version live means a deployment', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m7-11111111`, modelPackageArn: v(6) }, metrics: GOOD });
    expect(run.requests.some((r) => r.operation === 'createModel')).toBe(true);
  });
});

describe('re-approving an earlier version (the way back)', () => {
  it('shadow-tests and promotes it, says it replaces the later version, and moves the live mark in the registry', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m8-22222222`, modelPackageArn: v(8) }, metrics: GOOD });
    expect(run.status).toBe('SUCCEEDED');
    const mail = run.notifications.at(-1)!;
    expect(mail.subject).toBe(`[mlops-dev] breast-cancer: model v7 is live on ${ENDPOINT} (promoted, back from v8)`);
    expect(mail.body).toContain('v7 replaces v8 (an earlier version: production goes back to it).');
    expect(run.live).toEqual([PACKAGE_ARN]);
  });

  it('keeps the live mark on the production version when the shadow test rolls back, and rejects only the tested one', async () => {
    const run = await runDeploymentWorkflow(template, { endpoint: { model: `${ENDPOINT}--m8-22222222`, modelPackageArn: v(8) }, metrics: NO_TRAFFIC });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.requests.find((r) => r.operation === 'updateModelPackage')?.params.ModelPackageArn).toBe(PACKAGE_ARN);
    expect(run.live).toEqual([v(8)]);
  });
});

describe('the plan', () => {
  const base = {
    prefix: ENDPOINT,
    endpointName: ENDPOINT,
    packageVersion: '7',
    executionName: 'v7-x',
    settings: { instanceType: 'ml.m5.large', instanceCount: 1, shadowSamplingPercent: 100 },
    endpoint: {
      exists: true as const,
      status: 'InService',
      endpointConfigName: 'c',
      productionVariants: [{ VariantName: 'primary', ModelName: `${ENDPOINT}--m5-00000000` }],
    },
  };

  it('is already-live only for the very package production serves', () => {
    expect(planDeployment({ ...base, live: { modelPackageArn: PACKAGE_ARN, version: '7' }, modelPackageArn: PACKAGE_ARN }).mode).toBe('already-live');
    expect(planDeployment({ ...base, live: { modelPackageArn: v(5), version: '5' }, modelPackageArn: PACKAGE_ARN })).toMatchObject({
      mode: 'shadow',
      replaces: { version: '5', earlier: false },
    });
    expect(planDeployment({ ...base, live: null, modelPackageArn: PACKAGE_ARN })).toMatchObject({ mode: 'shadow', replaces: null });
  });
});

describe('Application Auto Scaling errors', () => {
  it('retries its own transient errors (a pending scaling change) and ends live', async () => {
    const run = await runDeploymentWorkflow(template, {
      failures: {
        CreatedRegisterScaling: {
          error: 'ApplicationAutoScaling.ConcurrentUpdateException',
          cause: 'You already have a pending update to an Auto Scaling resource.',
          times: 2,
        },
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'CreatedRegisterScaling')).toHaveLength(3);
  });
});

describe('SageMaker create calls, by the class of their error', () => {
  it('a transient error after the resource was made: the retry finds it "already existing", and that is done, not a failure', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: `${ENDPOINT}--m6-11111111` },
      metrics: GOOD,
      lostResponses: ['CreateModel', 'CreateShadowConfig', 'CreatePromotionConfig'],
    });
    expect(run.status).toBe('SUCCEEDED');
    // Retried (SageMaker's generic exception is retried) until the catch sees "already existing".
    expect(run.tasks.filter((t) => t === 'CreateModel').length).toBeGreaterThanOrEqual(2);
    expect(run.notifications.at(-1)!.subject).toContain('is live');
  });

  it('a transient error on the first endpoint: the retry finds the endpoint, which goes on to InService', async () => {
    const run = await runDeploymentWorkflow(template, { lostResponses: ['CreateEndpoint'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((t) => t === 'CreateEndpoint').length).toBeGreaterThanOrEqual(2);
    expect(run.endpoint?.status).toBe('InService');
  });

  it('any other error fails with its cause, after the retries, never by an "already existing" name clash it caused itself', async () => {
    const run = await runDeploymentWorkflow(template, {
      failures: { CreateModel: { error: 'SageMaker.AmazonSageMakerException', cause: 'Could not access model data at s3://x/model.tar.gz' } },
    });
    expect(run.status).toBe('FAILED');
    expect(run.cause).toBe('Could not access model data at s3://x/model.tar.gz');
  });
});
