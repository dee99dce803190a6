import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { allowSendTo, deadLetterQueue, failureDestination } from './dead-letter-queue';
import { DRIFT_RECHECK, SCHEDULED_RETRAINING } from '../../lambdas/retrain/schema';
import type { RetrainingConfig } from '../config/retraining-schema';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { PlatformFunction } from './platform-function';
import { allow } from './scoped-policy';
import { retrainEnv } from '../../lambdas/retrain/contract';
import type { LifecycleAnnouncer } from './lifecycle-events';
import { environmentFor } from './function-environment';

export interface RetrainingProps {
  readonly pipeline: string;
  readonly resourcePrefix: string;
  readonly retraining: RetrainingConfig;
  readonly trainingStateMachine: sfn.IStateMachine;
  readonly latestDatasetParameter: string;
  readonly driftAlarm: cloudwatch.IAlarm;
  /** The notification variables every e-mailing function has (the notify contract). */
  /** It announces a retraining started or skipped. */
  readonly announcer: LifecycleAnnouncer;
  readonly key: kms.IKey;
  readonly logRetentionDays: number;
}

/**
 * Drift alarm → ALARM and/or a schedule → the retrain Lambda (reserved concurrency 1: decisions
 * never overlap), which starts at most one training run per cooldown from the latest accepted
 * dataset. Every trigger has retries and the same DLQ.
 */
export class Retraining extends Construct {
  public readonly function: PlatformFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly schedule?: scheduler.CfnSchedule;
  /** Hourly reconsideration while drift persists (with `retraining.onDrift`). */
  public readonly driftRecheck?: scheduler.CfnSchedule;
  public readonly driftRule?: events.Rule;

  constructor(scope: Construct, id: string, props: RetrainingProps) {
    super(scope, id);
    const r = props.retraining;
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      name: `${props.resourcePrefix}-retrain-dlq`,
      key: props.key,
      of: 'the retraining triggers (rule target, schedule and Lambda on-failure destination)',
    });

    this.function = new PlatformFunction(this, 'Handler', {
      handler: 'retrain',
      resourcePrefix: props.resourcePrefix,
      description: `Starts at most one retraining run of ${props.pipeline} per ${r.cooldownHours} h, on drift or schedule`,
      timeout: Duration.seconds(30),
      reservedConcurrency: 1,
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: environmentFor(this, retrainEnv, {
        ...props.announcer.environment,
        STATE_MACHINE_ARN: props.trainingStateMachine.stateMachineArn,
        LATEST_DATASET_PARAMETER: props.latestDatasetParameter,
        COOLDOWN_HOURS: String(r.cooldownHours),
        DRIFT_ALARM_ARN: props.driftAlarm.alarmArn,
      }),
    });
    const fn = this.function.function;
    fn.configureAsyncInvoke({
      retryAttempts: SECURE_DEFAULTS.lambda.asyncRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: failureDestination(this.deadLetterQueue, props.key),
    });
    props.trainingStateMachine.grantStartExecution(fn);
    const arns = arnsOf(this);
    allow(
      this.function.role,
      { actions: ['states:ListExecutions'], resources: [props.trainingStateMachine.stateMachineArn] },
      { actions: ['ssm:GetParameter'], resources: [arns.ssmParameter(props.latestDatasetParameter)] },
    );
    props.announcer.grant(this.function.role);
    if (r.onDrift) {
      // The hourly drift recheck reads this alarm, and only it.
      allow(this.function.role, { actions: ['cloudwatch:DescribeAlarms'], resources: [props.driftAlarm.alarmArn] });
      this.driftRule = new events.Rule(this, 'DriftRule', {
        description: `Drift alarm of ${props.pipeline} entering ALARM`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [props.driftAlarm.alarmArn],
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [new targets.LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
      });
    }
    if (r.schedule || r.onDrift) {
      const role = this.schedulerRole(props);
      if (r.schedule) this.schedule = this.addSchedule(props, role, 'Schedule', SCHEDULED_RETRAINING, r.schedule, `Scheduled retraining of ${props.pipeline}`);
      // Drift that persists raises no new alarm event: while the alarm stays in ALARM, this asks again every hour
      // (one retraining per drift episode: the Lambda acts only if no run started since the alarm entered ALARM).
      if (r.onDrift)
        this.driftRecheck = this.addSchedule(
          props,
          role,
          'DriftRecheck',
          DRIFT_RECHECK,
          'rate(1 hour)',
          `Hourly: retrains ${props.pipeline} if its drift alarm is still in ALARM`,
        );
    }
  }

  private schedulerRole(props: RetrainingProps): iam.Role {
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': arnsOf(this).account } } }),
      description: `EventBridge Scheduler: scheduled retraining of ${props.pipeline}`,
    });
    allow(role, { actions: ['lambda:InvokeFunction'], resources: [this.function.function.functionArn] });
    allowSendTo(role, this.deadLetterQueue, props.key);
    return role;
  }

  private addSchedule(
    props: RetrainingProps,
    role: iam.Role,
    id: string,
    kind: typeof SCHEDULED_RETRAINING | typeof DRIFT_RECHECK,
    expression: string,
    what: string,
  ): scheduler.CfnSchedule {
    return new scheduler.CfnSchedule(this, id, {
      name: kind === SCHEDULED_RETRAINING ? `${props.resourcePrefix}-retrain` : `${props.resourcePrefix}-drift-recheck`,
      description: `${what} (skipped while a run is active or within the cooldown)`,
      scheduleExpression: expression,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.function.function.functionArn,
        roleArn: role.roleArn,
        input: JSON.stringify({ kind, pipeline: props.pipeline }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
  }
}
