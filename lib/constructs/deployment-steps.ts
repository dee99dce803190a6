import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { DeploymentWorkflow } from './deployment-workflow';

/** Seconds between DescribeEndpoint polls while an endpoint is creating or updating. */
const POLL_SECONDS = 30;

/**
 * A create call made idempotent by its unique name: its retries cover SageMaker's generic
 * exception (throttling and 5xx look alike to Step Functions), so a retry may find that the
 * first, seemingly failed, call created the resource after all. "Cannot create already
 * existing …" then means done, not failed; any other error fails as usual.
 */
export function createStep(
  wf: DeploymentWorkflow,
  id: string,
  action: 'createModel' | 'createEndpointConfig' | 'createEndpoint',
  parameters: object,
): sfn.Chain {
  const state = wf.sdk(id, 'sagemaker', action, parameters, false, null, false);
  const done = new sfn.Pass(wf, `${id}Done`);
  const existed = new sfn.Pass(wf, `${id}Existed`, {
    comment: 'An earlier attempt created it',
    result: sfn.Result.fromObject({}),
    resultPath: wf.errorPath,
  }).next(done);
  state.addCatch(
    new sfn.Choice(wf, `${id}AlreadyExists?`)
      .when(sfn.Condition.stringMatches(`${wf.errorPath}.Cause`, '*Cannot create already existing*'), existed)
      .otherwise(wf.onError),
    { resultPath: wf.errorPath },
  );
  state.next(done);
  return sfn.Chain.custom(state, [done], done);
}

/**
 * Polls the endpoint until InService. With `expectedConfig` (a path to the config the update
 * applied), InService on another config means SageMaker failed the update and went back: that
 * is a failure (its FailureReason in the cause), not a success. Failed, OutOfService,
 * UpdateRollbackFailed and Deleting never end by waiting: they are failures too.
 */
export function waitInService(wf: DeploymentWorkflow, id: string, next: sfn.IChainable, expectedConfig?: string): sfn.IChainable {
  const describe = wf.sdk(`Describe${id}`, 'sagemaker', 'describeEndpoint', { EndpointName: wf.props.requests.endpointName }, false, '$.endpoint');
  const wait = new sfn.Wait(wf, `Wait${id}`, { time: sfn.WaitTime.duration(Duration.seconds(POLL_SECONDS)) });
  const failedAs = (suffix: string, error: string) =>
    new sfn.Pass(wf, `${id}${suffix}`, { parameters: { Error: error, 'Cause.$': 'States.JsonToString($.endpoint)' }, resultPath: wf.errorPath }).next(
      wf.onError,
    );
  const inService = sfn.Condition.stringEquals('$.endpoint.EndpointStatus', 'InService');
  const choice = new sfn.Choice(wf, `${id}InService?`);
  if (expectedConfig) {
    choice
      .when(sfn.Condition.and(inService, sfn.Condition.stringEqualsJsonPath('$.endpoint.EndpointConfigName', expectedConfig)), next)
      .when(inService, failedAs('UpdateFailed', 'EndpointUpdateFailed'));
  } else {
    choice.when(inService, next);
  }
  choice
    .when(
      sfn.Condition.or(
        ...['Failed', 'OutOfService', 'UpdateRollbackFailed', 'Deleting'].map((v) => sfn.Condition.stringEquals('$.endpoint.EndpointStatus', v)),
      ),
      failedAs('EndpointFailed', 'EndpointFailed'),
    )
    .otherwise(wait);
  wait.next(describe);
  describe.next(choice);
  return describe;
}
