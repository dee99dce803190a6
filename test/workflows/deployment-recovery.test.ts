import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { synthPlatform } from '../../offline/synth';
import { type DeploymentOutcome, runDeploymentWorkflow } from '../helpers/deployment-harness';

/**
 * A deployment that fails at any state after it first changes the endpoint leaves production
 * serving the previous model alone, with auto-scaling registered, and its e-mail says so: a
 * failure injected at every such state, in turn, through the synthesized workflow.
 */
const ENDPOINT = 'mlops-dev-breast-cancer';
const PREVIOUS = `${ENDPOINT}--m6-11111111`;
const GOOD = { production: { invocations: 1000, errors: 2, p99LatencyUs: 20_000 }, shadow: { invocations: 1000, errors: 2, p99LatencyUs: 21_000 } };
const WORSE = { production: GOOD.production, shadow: { invocations: 1000, errors: 90, p99LatencyUs: 21_000 } };

let template: Template;
beforeAll(() => {
  const s = synthPlatform();
  template = s.template(s.stages.get('dev')!.pipelines[0]!);
});

const errorOf = (state: string) =>
  /Scaling|ScalingPolicy/.test(state)
    ? 'ApplicationAutoScaling.ValidationException'
    : state === 'CompareShadow'
      ? 'Lambda.Unknown'
      : 'SageMaker.AmazonSageMakerException';

async function failAt(state: string, metrics: typeof GOOD): Promise<DeploymentOutcome> {
  return runDeploymentWorkflow(template, {
    endpoint: { model: PREVIOUS },
    metrics,
    failures: { [state]: { error: errorOf(state), cause: `injected failure at ${state}` } },
  });
}

function expectProductionAsBefore(run: DeploymentOutcome, state: string): void {
  expect(run.status, state).toBe('FAILED');
  expect(run.error, state).toBe(errorOf(state));
  const serving = run.configs.get(run.endpoint!.config)!;
  expect(
    serving.ProductionVariants.map((v: { ModelName: string }) => v.ModelName),
    state,
  ).toEqual([PREVIOUS]);
  expect(serving.ShadowProductionVariants ?? [], state).toEqual([]);
  expect(run.endpoint!.status, state).toBe('InService');
  expect(run.scalingRegistered, state).toBe(true);
  const mail = run.notifications.at(-1)!;
  expect(mail.subject, state).toMatch(/^\[mlops-dev\] breast-cancer: deployment of model v7 failed \(/);
  expect(mail.body, state).toContain(`Cause: injected failure at ${state}`);
  // Whether the deployment really changed the endpoint (a config other than the first, and other than the recovery's).
  const changed = run.served.some((c) => !c.endsWith('-x'));
  if (changed) {
    expect(mail.body, state).not.toContain('Production is unchanged');
    expect(mail.body, state).toMatch(
      /Production was restored: mlops-dev-breast-cancer--m6-11111111 serves alone again|Production serves the previous model alone again/,
    );
  }
  expect(mail.body, state).toContain('auto-scaling is registered');
}

describe('a failure after the first endpoint change, on the way to a promotion', () => {
  it.each([
    'CreateShadowConfig',
    'StartShadow',
    'DescribeShadow',
    'CompareShadow',
    'CreatePromotionConfig',
    'PauseScaling',
    'Promote',
    'DescribePromoted',
    'PromotedRegisterScaling',
    'PromotedScalingPolicy',
  ])('at %s leaves the previous model serving alone, scaled, and says so', async (state) => {
    expectProductionAsBefore(await failAt(state, GOOD), state);
  });
});

describe('a failure after the first endpoint change, on the way back from a failed shadow test', () => {
  it.each(['CreateRestoreConfig', 'RestoreProduction', 'DescribeRestored', 'RestoredRegisterScaling', 'RestoredScalingPolicy', 'RejectPackage'])(
    'at %s leaves the previous model serving alone, scaled, and says so',
    async (state) => {
      expectProductionAsBefore(await failAt(state, WORSE), state);
    },
  );
});

describe('the capacity production had: an auto-scaled production variant (4 instances; its config says 1)', () => {
  it.each(['CompareShadow', 'DescribePromoted', 'PromotedRegisterScaling', 'PromotedScalingPolicy'])(
    'a failure at %s leaves the previous model on its 4 instances, whether or not the promotion had replaced it',
    async (state) => {
      const run = await runDeploymentWorkflow(template, {
        endpoint: { model: PREVIOUS, instances: 4 },
        metrics: GOOD,
        failures: { [state]: { error: errorOf(state), cause: `injected failure at ${state}` } },
      });
      expect(run.status, state).toBe('FAILED');
      expect(
        run.configs.get(run.endpoint!.config)!.ProductionVariants.map((v: { ModelName: string }) => v.ModelName),
        state,
      ).toEqual([PREVIOUS]);
      expect(run.instances, state).toBe(4);
      expect(run.scalingRegistered, state).toBe(true);
    },
  );
});

describe('a failure before the endpoint changes', () => {
  it('says production is unchanged, and it is', async () => {
    const run = await failAt('CreateModel', GOOD);
    expect(run.status).toBe('FAILED');
    expect(run.notifications.at(-1)!.body).toContain('Production is unchanged: the deployment failed before it changed the endpoint.');
    expect(run.requests.some((r) => r.operation === 'updateEndpoint')).toBe(false);
  });
});

describe('a first deployment (no production before it) that fails after creating its endpoint', () => {
  it.each([
    ['the endpoint ends Failed', { endpointFailure: 'Insufficient capacity for ml.m5.large' }],
    ['registering auto-scaling fails', { failures: { CreatedRegisterScaling: { error: 'ApplicationAutoScaling.ValidationException', cause: 'injected' } } }],
  ])('%s: deletes the endpoint it made, and the e-mail says so, never "Production is unchanged"', async (_, scenario) => {
    const run = await runDeploymentWorkflow(template, { metrics: GOOD, ...scenario });
    expect(run.status).toBe('FAILED');
    expect(run.endpoint).toBeUndefined();
    const body = run.notifications.at(-1)!.body;
    expect(body).not.toContain('Production is unchanged');
    expect(body).toContain(
      `There was no production model before this deployment. It created endpoint ${ENDPOINT}, then failed; the workflow started deleting the endpoint`,
    );
    expect(body).toContain('approve it again to retry');
  });

  it('gives the delete command when deleting fails too', async () => {
    const run = await runDeploymentWorkflow(template, {
      metrics: GOOD,
      endpointFailure: 'Insufficient capacity for ml.m5.large',
      failures: { DeleteCreatedEndpoint: { error: 'SageMaker.AmazonSageMakerException', cause: 'injected delete failure' } },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EndpointFailed');
    const body = run.notifications.at(-1)!.body;
    expect(body).toContain('deleting the endpoint failed too (SageMaker.AmazonSageMakerException: injected delete failure)');
    expect(body).toContain(`aws sagemaker delete-endpoint --endpoint-name ${ENDPOINT}`);
  });
});

describe('a failure while rolling back a model that failed its shadow test', () => {
  it('says the model was being rolled back and was not marked Rejected, never that it "stays Approved"', async () => {
    const run = await failAt('RestoreProduction', WORSE);
    expect(run.packageStatus).toBe('Approved');
    const body = run.notifications.at(-1)!.body;
    expect(body).not.toContain('The package stays Approved');
    expect(body).toMatch(/The new model was being rolled back \(.+\) when this failure came, so its package was not marked Rejected/);
  });
});

describe('a recovery that fails too', () => {
  it('says so, and gives the command that restores production by hand with the config it began with', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: PREVIOUS },
      metrics: GOOD,
      failures: {
        Promote: { error: 'SageMaker.AmazonSageMakerException', cause: 'injected failure at Promote' },
        RecoverProduction: { error: 'SageMaker.AmazonSageMakerException', cause: 'the recovery failed too' },
        RecoverCheck: { error: 'Lambda.Unknown', cause: 'the check failed', times: 0 },
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SageMaker.AmazonSageMakerException');
    const body = run.notifications.at(-1)!.body;
    expect(body).toContain('restoring production failed too (SageMaker.AmazonSageMakerException: the recovery failed too)');
    expect(body).toContain(
      `aws sagemaker update-endpoint --endpoint-name ${ENDPOINT} --endpoint-config-name ${ENDPOINT}--c1-00000000-p --retain-all-variant-properties`,
    );
  });
});

describe('an endpoint update that SageMaker accepts and then fails (the endpoint goes back InService on its old config)', () => {
  it('is a failure, not a success: a shadow that never started is not tested, let alone promoted', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: PREVIOUS },
      metrics: GOOD,
      failedUpdates: { StartShadow: 'Insufficient capacity for ml.m5.large' },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EndpointUpdateFailed');
    expect(run.tasks).not.toContain('CompareShadow');
    expect(run.tasks).not.toContain('Promote');
    expect(run.notifications.at(-1)!.body).toContain('Insufficient capacity for ml.m5.large');
    expect(run.notifications.at(-1)!.body).toContain(`Production is unchanged: ${PREVIOUS}; auto-scaling is registered.`);
  });

  it('during a rollback, goes on to the recovery, which puts production back', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: PREVIOUS },
      metrics: WORSE,
      failedUpdates: { RestoreProduction: 'Internal failure' },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EndpointUpdateFailed');
    const serving = run.configs.get(run.endpoint!.config)!;
    expect(serving.ProductionVariants.map((v: { ModelName: string }) => v.ModelName)).toEqual([PREVIOUS]);
    expect(serving.ShadowProductionVariants ?? []).toEqual([]);
    expect(run.scalingRegistered).toBe(true);
    expect(run.notifications.at(-1)!.body).toContain(`Production was restored: ${PREVIOUS} serves alone again`);
  });

  it('during the recovery, says that restoring production failed, never that it was restored', async () => {
    const run = await runDeploymentWorkflow(template, {
      endpoint: { model: PREVIOUS },
      metrics: GOOD,
      failures: { Promote: { error: 'SageMaker.AmazonSageMakerException', cause: 'injected failure at Promote' } },
      failedUpdates: { RecoverProduction: 'Internal failure' },
    });
    expect(run.status).toBe('FAILED');
    const body = run.notifications.at(-1)!.body;
    expect(body).toContain('restoring production failed too (EndpointUpdateFailed:');
    expect(body).not.toContain('Production was restored');
  });
});

describe('a serverless endpoint (no auto-scaling)', () => {
  it('is restored without claiming auto-scaling, which it does not have', async () => {
    const s = synthPlatform({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], deployment: { serverless: { memorySizeMb: 3072, maxConcurrency: 10 } } }] });
    const run = await runDeploymentWorkflow(s.template(s.stages.get('dev')!.pipelines[0]!), {
      endpoint: { model: PREVIOUS, serverless: true },
      failures: { DescribePromoted: { error: 'SageMaker.AmazonSageMakerException', cause: 'injected failure at DescribePromoted' } },
    });
    expect(run.status).toBe('FAILED');
    const body = run.notifications.at(-1)!.body;
    expect(body).toContain(`Production was restored: ${PREVIOUS} serves alone again`);
    expect(body).not.toContain('auto-scaling');
  });
});
