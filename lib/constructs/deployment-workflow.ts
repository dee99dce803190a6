import { Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../config/deployment-schema';
import * as req from './deployment-requests';
import { createdCleanup, failureNotice, recoveryChain } from './deployment-recovery';
import { createStep, waitInService } from './deployment-steps';
import { platformStateMachine } from './platform-state-machine';
import { AUTOSCALING_TRANSIENT_ERRORS, addSageMakerRetries, raisesQuota, invokeLambda } from './retries';

export interface DeploymentWorkflowProps {
  readonly resourcePrefix: string;
  readonly deployment: DeploymentConfig;
  readonly requests: req.DeploymentRequestContext;
  readonly deploymentFunction: lambda.IFunction;
  readonly notifyFunction: lambda.IFunction;
  readonly key: kms.IKey;
  readonly logRetentionDays: number;
  /** Checks of "is it my turn" (5 minutes apart) before a queued deployment gives up. */
  readonly maxTurnAttempts: number;
}

/**
 * Approval → one deployment at a time → model → endpoint (create, or shadow test → promote
 * blue/green or restore production) → notification. Every SageMaker call retries throttling
 * and transient faults; an endpoint that is busy makes the plan step wait; any other failure
 * is caught, notified with its cause, and fails the execution.
 */
export class DeploymentWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  readonly props: DeploymentWorkflowProps;
  /** Where a failure goes, and where its error is put: switched while the states after the first endpoint change are built. */
  onError: sfn.IChainable;
  errorPath = '$.error';

  constructor(scope: Construct, id: string, props: DeploymentWorkflowProps) {
    super(scope, id);
    this.props = props;
    const d = props.deployment;
    const execution = sfn.JsonPath.stringAt('$$.Execution.Id');
    const pkg = sfn.JsonPath.stringAt('$.modelPackageArn');

    const failed = new sfn.Fail(this, 'DeploymentFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notifyFailed = failureNotice(this, 'NotifyDeploymentFailed', failed);
    this.onError = notifyFailed;

    // One deployment per endpoint: wait while an earlier execution runs.
    const init = new sfn.Pass(this, 'Init', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.turn' });
    const settle = new sfn.Wait(this, 'TurnSettle', {
      comment: 'ListExecutions is eventually consistent: let a simultaneous approval show up',
      time: sfn.WaitTime.duration(Duration.seconds(15)),
    });
    const checkTurn = this.catching(
      this.task(
        'CheckTurn',
        {
          action: 'turn',
          stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
          executionArn: execution,
          startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
          attempt: sfn.JsonPath.numberAt('$.turn.attempt'),
        },
        '$.turn',
      ),
    );
    const waitTurn = new sfn.Wait(this, 'WaitForTurn', { time: sfn.WaitTime.duration(Duration.minutes(5)) });
    const notifyWaiting = this.notify('NotifyWaiting', {
      kind: 'deployment-waiting',
      executionArn: execution,
      modelPackageArn: pkg,
      blockedBy: sfn.JsonPath.stringAt('$.turn.blockedBy'),
    });
    notifyWaiting.addCatch(waitTurn, { resultPath: '$.notifyError' }).next(waitTurn);
    waitTurn.next(checkTurn);
    const refused = new sfn.Pass(this, 'QueueTimedOut', {
      parameters: {
        Error: 'DeploymentQueueTimeout',
        'Cause.$': `States.Format('Another deployment of this endpoint ({}) was still running after ${props.maxTurnAttempts} checks, 5 minutes apart; approve again when it has ended.', $.turn.blockedBy)`,
      },
      resultPath: '$.error',
    }).next(notifyFailed);

    // Plan (waits while the endpoint is busy), then the model from the approved package.
    const plan = this.task(
      'Plan',
      { action: 'plan', modelPackageArn: pkg, executionName: sfn.JsonPath.stringAt('$$.Execution.Name'), executionArn: execution },
      '$.plan',
    );
    plan.addRetry({ errors: ['EndpointBusyError'], interval: Duration.minutes(1), backoffRate: 1, maxAttempts: 60 });
    this.catching(plan);
    const createModel = createStep(this, 'CreateModel', 'createModel', req.createModel(props.requests));

    // First deployment: create the endpoint. There is no production to go back to: a failure after
    // CreateEndpoint deletes the endpoint it made, so approving again starts from a clean slate.
    const created = this.notifyDeployed('NotifyCreated');
    const createPath = createStep(this, 'CreateEndpointConfig', 'createEndpointConfig', req.createEndpointConfig(props.requests, 'promote')).next(
      createStep(this, 'CreateEndpoint', 'createEndpoint', req.createEndpoint(props.requests)),
    );
    this.onError = createdCleanup(this, failed);
    createPath.next(waitInService(this, 'Created', this.scaling('Created', 'new endpoint').next(created), '$.plan.configs.promote.name'));

    // From here on the workflow changes an endpoint that serves production: a failure goes
    // through the recovery (production back to the previous model, scaling registered), then fails.
    this.onError = recoveryChain(this, failed);

    // Roll back: production-only config, package Rejected with the reasons, notification.
    const rolledBack = this.notify('NotifyRolledBack', {
      kind: 'rolled-back',
      executionArn: execution,
      modelPackageArn: pkg,
      endpointName: props.requests.endpointName,
      reasons: sfn.JsonPath.listAt('$.rollback.reasons'),
      comparison: sfn.JsonPath.objectAt('$.comparison'),
    });
    rolledBack.addCatch(new sfn.Succeed(this, 'RolledBackUnnotified'), { resultPath: '$.notifyError' }).next(new sfn.Succeed(this, 'RolledBack'));
    const restore = createStep(this, 'CreateRestoreConfig', 'createEndpointConfig', req.createEndpointConfig(props.requests, 'restore'))
      .next(this.sdk('RestoreProduction', 'sagemaker', 'updateEndpoint', req.updateEndpoint(props.requests, 'restore'), true))
      // Scaling again: an alarm rollback happens after the promotion paused it.
      .next(
        waitInService(
          this,
          'Restored',
          this.scaling('Restored', 'registered')
            .next(this.sdk('RejectPackage', 'sagemaker', 'updateModelPackage', req.rejectPackage()))
            .next(rolledBack),
          '$.plan.configs.restore.name',
        ),
      );
    const shadowRejected = new sfn.Pass(this, 'ShadowRejected', { parameters: { 'reasons.$': '$.comparison.reasons' }, resultPath: '$.rollback' }).next(
      restore,
    );
    const alarmsRolledBack = new sfn.Pass(this, 'AlarmsRolledBack', {
      result: sfn.Result.fromObject({
        reasons: [
          'SageMaker rolled the blue/green deployment back: an auto-rollback alarm (5XX errors or p99 latency of the production variant) went off during the bake',
        ],
      }),
      resultPath: '$.rollback',
    }).next(restore);

    // Promote: blue/green to the new model alone, guarded by the alarms; check it held.
    const promoted = this.notifyDeployed('NotifyPromoted');
    const held = new sfn.Choice(this, 'PromotionHeld?')
      .when(
        sfn.Condition.stringEqualsJsonPath('$.endpoint.EndpointConfigName', '$.plan.configs.promote.name'),
        this.scaling('Promoted', 'descale').next(promoted),
      )
      .otherwise(alarmsRolledBack);
    const promote = createStep(this, 'CreatePromotionConfig', 'createEndpointConfig', req.createEndpointConfig(props.requests, 'promote'))
      .next(this.descale('PauseScaling'))
      .next(this.sdk('Promote', 'sagemaker', 'updateEndpoint', req.updateEndpoint(props.requests, 'promote'), true))
      .next(waitInService(this, 'Promoted', held));

    // Shadow test: production + shadow, the window, the comparison.
    const compare = this.catching(
      this.task(
        'CompareShadow',
        {
          action: 'compare',
          start: sfn.JsonPath.stringAt('$.shadowWindow.start'),
          end: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
          modelPackageArn: pkg,
          executionArn: execution,
        },
        '$.comparison',
      ),
    );
    compare.next(new sfn.Choice(this, 'ShadowPassed?').when(sfn.Condition.stringEquals('$.comparison.decision', 'promote'), promote).otherwise(shadowRejected));
    const shadowPath = createStep(this, 'CreateShadowConfig', 'createEndpointConfig', req.createEndpointConfig(props.requests, 'shadow'))
      .next(this.sdk('StartShadow', 'sagemaker', 'updateEndpoint', req.updateEndpoint(props.requests, 'shadow'), true))
      .next(
        waitInService(
          this,
          'Shadow',
          new sfn.Pass(this, 'ShadowStarted', { parameters: { 'start.$': '$$.State.EnteredTime' }, resultPath: '$.shadowWindow' })
            .next(
              new sfn.Wait(this, 'ShadowWindow', {
                comment: 'Mirrored traffic reaches the shadow variant',
                time: sfn.WaitTime.duration(Duration.minutes(d.shadow.windowMinutes)),
              }),
            )
            .next(compare),
          '$.plan.configs.shadow.name',
        ),
      );
    const replacePath = new sfn.Pass(this, 'NoShadowTest', {
      comment: 'Serverless endpoints have no shadow variants',
      result: sfn.Result.fromObject({ skipped: 'serverless endpoints have no shadow variants' }),
      resultPath: '$.comparison',
    }).next(promote);
    this.onError = notifyFailed;

    // No rollback under way: the recovery's e-mail reads $.rollback.reasons (a rollback sets them).
    const noRollback = new sfn.Pass(this, 'NoRollback', { result: sfn.Result.fromObject({ reasons: [] }), resultPath: '$.rollback' });
    const shared = new sfn.Pass(this, 'Requests', {
      comment: 'Request parts that several states send (deployment-requests.ts, sharedRequests)',
      result: sfn.Result.fromObject(req.sharedRequests(props.requests)),
      resultPath: req.SHARED,
    });
    const definition = init
      .next(noRollback)
      .next(shared)
      .next(settle)
      .next(checkTurn)
      .next(
        new sfn.Choice(this, 'MyTurn?')
          .when(sfn.Condition.booleanEquals('$.turn.proceed', true), plan)
          .when(sfn.Condition.booleanEquals('$.turn.exhausted', true), refused)
          .when(sfn.Condition.numberEquals('$.turn.attempt', 1), notifyWaiting)
          .otherwise(waitTurn),
      );
    plan.next(
      new sfn.Choice(this, 'AlreadyLive?')
        .when(
          sfn.Condition.stringEquals('$.plan.mode', 'already-live'),
          new sfn.Succeed(this, 'AlreadyLive', {
            comment: "Production already serves this package (an edit's event, or an approval sent again): nothing to deploy",
          }),
        )
        .otherwise(createModel),
    );
    createModel.next(
      new sfn.Choice(this, 'EndpointExists?')
        .when(sfn.Condition.stringEquals('$.plan.mode', 'create'), createPath)
        .when(sfn.Condition.stringEquals('$.plan.mode', 'shadow'), shadowPath)
        .otherwise(replacePath),
    );

    const budget = 15 * 60 + props.maxTurnAttempts * 5 * 60 + d.shadow.windowMinutes * 60 + 4 * 3600;
    this.stateMachine = platformStateMachine(this, 'StateMachine', {
      resourcePrefix: props.resourcePrefix,
      workflow: 'deployment',
      comment: `Deployment workflow of ${props.requests.endpointName}: approved model package to endpoint, shadow tested`,
      definition,
      timeout: Duration.seconds(budget),
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      invokes: [props.deploymentFunction, props.notifyFunction],
    });
  }

  notify(id: string, payload: Record<string, unknown>): tasks.LambdaInvoke {
    return invokeLambda(this, id, {
      lambdaFunction: this.props.notifyFunction,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /**
   * The model is live: the registry marks it (tag mlops:live, moved from the version it replaces),
   * then the e-mail. A tagging failure does not undo the deployment: it is noted and the e-mail goes out.
   */
  private notifyDeployed(id: string): sfn.IChainable {
    const n = this.notify(id, {
      kind: 'deployed',
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      modelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
      endpointName: this.props.requests.endpointName,
      how: sfn.JsonPath.stringAt('$.plan.how'),
      replaces: sfn.JsonPath.objectAt('$.plan.replaces'),
      ...(id === 'NotifyPromoted' ? { comparison: sfn.JsonPath.objectAt('$.comparison') } : {}),
    });
    const done = new sfn.Succeed(this, id.replace('Notify', ''));
    n.addCatch(done, { resultPath: '$.notifyError' });
    const which = id.replace('Notify', '');
    const markLive = this.sdk(`MarkLive${which}`, 'sagemaker', 'addTags', req.tagLive(this.props.requests), false, null, false);
    const unmark = this.sdk(`UnmarkReplaced${which}`, 'sagemaker', 'deleteTags', req.untagReplaced(), false, null, false);
    markLive.addCatch(n, { resultPath: '$.tagError' });
    unmark.addCatch(n, { resultPath: '$.tagError' });
    markLive.next(
      new sfn.Choice(this, `Replaced${which}?`)
        .when(sfn.Condition.and(sfn.Condition.isPresent('$.plan.live.modelPackageArn'), sfn.Condition.isString('$.plan.live.modelPackageArn')), unmark.next(n))
        .otherwise(n),
    );
    n.next(done);
    return markLive;
  }

  task(id: string, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke {
    return invokeLambda(this, id, {
      lambdaFunction: this.props.deploymentFunction,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
    });
  }

  private catching<T extends { addCatch(h: sfn.IChainable, p?: sfn.CatchProps): unknown }>(state: T): T {
    state.addCatch(this.onError, { resultPath: this.errorPath });
    return state;
  }

  /** Builds states whose failures go to `target`, with the error at `errorPath`. */
  routeFailures<T>(target: sfn.IChainable, errorPath: string, build: () => T): T {
    const saved = [this.onError, this.errorPath] as const;
    this.onError = target;
    this.errorPath = errorPath;
    try {
      return build();
    } finally {
      [this.onError, this.errorPath] = saved;
    }
  }

  /**
   * An AWS SDK integration in the API's request shape, with the SageMaker retries; calls that
   * change the endpoint also retry "endpoint busy" (an unmodeled ValidationException) for a while.
   */
  sdk(
    id: string,
    service: 'sagemaker' | 'applicationautoscaling',
    action: string,
    parameters: object | req.SharedRequest,
    changesEndpoint = false,
    resultPath: string | null = null,
    /** Catch failures into the failure notification (false: the caller catches them itself). */
    caught = true,
  ): sfn.CustomState {
    const state = new sfn.CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::aws-sdk:${service}:${action}`,
        ...(parameters instanceof req.SharedRequest ? { InputPath: parameters.inputPath } : { Parameters: parameters }),
        ResultPath: resultPath,
      },
    });
    if (changesEndpoint) {
      state.addRetry({
        errors: ['SageMaker.AmazonSageMakerException', 'SageMaker.SageMakerException'],
        interval: Duration.seconds(30),
        backoffRate: 1.5,
        maxAttempts: 8,
        maxDelay: Duration.minutes(5),
      });
    }
    // Each service's own transient errors: Application Auto Scaling never raises SageMaker's.
    if (service === 'applicationautoscaling') addAutoScalingRetries(state);
    else addSageMakerRetries(state, raisesQuota(action));
    return caught ? this.catching(state) : state;
  }

  /**
   * Target tracking on invocations per instance, for instance-based variants when enabled.
   * `after` says whether a target may be registered already: on a new endpoint, or after a
   * descale, RegisterScalableTarget creates it, with the tags; otherwise it only updates it, and
   * an untagged one (an earlier version's) is tagged by TagResource.
   */
  scaling(id: string, after: 'new endpoint' | 'descale' | 'registered'): sfn.Chain {
    const d = this.props.deployment;
    if (d.serverless || !d.autoScaling.enabled) return sfn.Chain.start(new sfn.Pass(this, `${id}NoScaling`));
    const registered = '$.scalableTarget';
    const register = sfn.Chain.start(
      this.sdk(`${id}RegisterScaling`, 'applicationautoscaling', 'registerScalableTarget', new req.SharedRequest('register'), false, registered),
    );
    const policy = this.sdk(`${id}ScalingPolicy`, 'applicationautoscaling', 'putScalingPolicy', new req.SharedRequest('policy'));
    if (after !== 'registered') return register.next(policy);
    return register
      .next(this.sdk(`${id}TagScaling`, 'applicationautoscaling', 'tagResource', req.tagScalableTarget(this.props.requests, registered)))
      .next(policy);
  }

  /** Deregisters the variant from auto-scaling before an update that may change its instance type (SageMaker refuses it otherwise). */
  descale(id: string): sfn.IChainable {
    const d = this.props.deployment;
    if (d.serverless || !d.autoScaling.enabled) return new sfn.Pass(this, `No${id}`);
    const state = new sfn.CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::aws-sdk:applicationautoscaling:deregisterScalableTarget`,
        InputPath: new req.SharedRequest('scalableTarget').inputPath,
        ResultPath: sfn.JsonPath.DISCARD,
      },
    });
    addAutoScalingRetries(state);
    const next = new sfn.Pass(this, `${id}Done`);
    state.addCatch(next, { errors: ['ApplicationAutoScaling.ObjectNotFoundException'], resultPath: sfn.JsonPath.DISCARD });
    this.catching(state);
    return state.next(next);
  }
}

/** Application Auto Scaling calls retry its own throttling and transient errors (a pending scaling change). */
function addAutoScalingRetries(state: sfn.CustomState): void {
  state.addRetry({
    errors: AUTOSCALING_TRANSIENT_ERRORS,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
