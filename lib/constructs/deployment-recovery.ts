import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as req from './deployment-requests';
import { createStep, waitInService } from './deployment-steps';
import type { DeploymentWorkflow } from './deployment-workflow';

/**
 * The "deployment failed" e-mail with the original error (at $.error) and what the failure path
 * left (`extra`), then the failed end of the execution; a failed e-mail still ends there.
 */
export function failureNotice(wf: DeploymentWorkflow, id: string, failed: sfn.IChainable, extra: Record<string, unknown> = {}): sfn.State {
  const n = wf.notify(id, {
    kind: 'deployment-failed',
    executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
    modelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
    error: sfn.JsonPath.stringAt('$.error.Error'),
    cause: sfn.JsonPath.stringAt('$.error.Cause'),
    ...extra,
  });
  n.addCatch(failed, { resultPath: '$.notifyError' }).next(failed);
  return n;
}

/**
 * Where every failure after the workflow first changes the endpoint goes: production back to the
 * model it served before, alone, with auto-scaling registered, then the e-mail that says what is
 * left. The recovery reads the endpoint as it is (waiting while it updates), restores the
 * production-only config only when production does not serve the previous model alone, and
 * registers scaling again in every case. If the recovery fails too, the e-mail says so and gives
 * the command that restores production by hand. Either way the execution fails with the original error.
 */
export function recoveryChain(wf: DeploymentWorkflow, failed: sfn.IChainable): sfn.IChainable {
  const before = {
    endpoint: wf.props.requests.endpointName,
    previousModel: sfn.JsonPath.stringAt('$.plan.currentModelName'),
    previousConfig: sfn.JsonPath.stringAt('$.plan.currentConfigName'),
    restoreConfig: sfn.JsonPath.stringAt('$.plan.configs.recover.name'),
    /** Whether the variant is auto-scaled at all (not serverless, auto-scaling on). */
    scaled: !wf.props.deployment.serverless && wf.props.deployment.autoScaling.enabled,
    rollbackReasons: sfn.JsonPath.listAt('$.rollback.reasons'),
  };
  const notified = (id: string, recovery: Record<string, unknown>) => failureNotice(wf, id, failed, { recovery: { ...before, ...recovery } });
  const recoveryFailed = notified('NotifyRecoveryFailed', {
    outcome: 'failed',
    error: sfn.JsonPath.stringAt('$.recoveryError.Error'),
    cause: sfn.JsonPath.stringAt('$.recoveryError.Cause'),
  });
  const recovered = (outcome: 'restored' | 'checked') =>
    notified(outcome === 'restored' ? 'NotifyRecovered' : 'NotifyChecked', {
      outcome,
      changed: sfn.JsonPath.objectAt('$.recovery.changed'),
      serving: sfn.JsonPath.listAt('$.recovery.serving'),
    });

  return wf.routeFailures(recoveryFailed, '$.recoveryError', () => {
    const check = wf.task(
      'RecoverCheck',
      {
        action: 'recover',
        currentModelName: sfn.JsonPath.stringAt('$.plan.currentModelName'),
        currentConfigName: sfn.JsonPath.stringAt('$.plan.currentConfigName'),
      },
      '$.recovery',
    );
    check.addRetry({ errors: ['EndpointBusyError'], interval: Duration.minutes(1), backoffRate: 1, maxAttempts: 90 });
    check.addCatch(recoveryFailed, { resultPath: '$.recoveryError' });
    // Auto-scaling off first: SageMaker refuses an update that changes a scaled variant's instance type.
    const restore = createStep(wf, 'CreateRecoverConfig', 'createEndpointConfig', req.createEndpointConfig(wf.props.requests, 'recover'))
      .next(wf.descale('PauseScalingToRecover'))
      .next(wf.sdk('RecoverProduction', 'sagemaker', 'updateEndpoint', req.updateEndpoint(wf.props.requests, 'recover'), true))
      .next(waitInService(wf, 'Recovered', wf.scaling('Recovered', 'descale').next(recovered('restored')), '$.plan.configs.recover.name'));
    return check.next(
      new sfn.Choice(wf, 'RestoreNeeded?')
        .when(sfn.Condition.booleanEquals('$.recovery.restore', true), restore)
        .otherwise(wf.scaling('Checked', 'registered').next(recovered('checked'))),
    );
  });
}

/**
 * Where a first deployment's failures go once CreateEndpoint has run: there was no production
 * before, so the endpoint it made (Failed, or up without auto-scaling) is deleted and the e-mail
 * says so; approving the package again creates it anew. If the delete fails, the e-mail gives the
 * command. Either way the execution fails with the original error.
 */
export function createdCleanup(wf: DeploymentWorkflow, failed: sfn.IChainable): sfn.IChainable {
  const notified = (id: string, created: Record<string, unknown>) =>
    failureNotice(wf, id, failed, { created: { endpoint: wf.props.requests.endpointName, ...created } });
  const notDeleted = notified('NotifyCreatedNotDeleted', {
    deleted: false,
    error: sfn.JsonPath.stringAt('$.cleanupError.Error'),
    cause: sfn.JsonPath.stringAt('$.cleanupError.Cause'),
  });
  const del = wf.sdk('DeleteCreatedEndpoint', 'sagemaker', 'deleteEndpoint', { EndpointName: wf.props.requests.endpointName }, false, null, false);
  del.addCatch(notDeleted, { resultPath: '$.cleanupError' });
  return del.next(notified('NotifyCreatedDeleted', { deleted: true }));
}
