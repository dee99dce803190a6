import { deadLetterAlarm } from './dead-letter-queue';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRIFT_METRIC, metricsNamespace, PIPELINE_DIMENSION } from '../../lambdas/shared/names';

export interface PipelineAlarmsProps {
  readonly resourcePrefix: string;
  readonly topicArn: string;
  /** None in a stage that promotes another's models (it trains nothing). */
  readonly trainingStateMachine?: sfn.IStateMachine;
  readonly deploymentStateMachine: sfn.IStateMachine;
  /** Alarms made elsewhere that should e-mail too (the deployment's auto-rollback alarms). */
  readonly alsoNotify: readonly cloudwatch.Alarm[];
}

/**
 * The pipeline's alarms, all e-mailed through the notifications topic: training and deployment
 * workflow failures, and drift (which also starts retraining).
 */
export class PipelineAlarms extends Construct {
  public readonly drift: cloudwatch.Alarm;
  public readonly trainingFailed?: cloudwatch.Alarm;
  public readonly deploymentFailed: cloudwatch.Alarm;
  /** One per dead-letter queue of the pipeline: a message there is an event or invocation that failed for good. */
  public readonly deadLetters: cloudwatch.Alarm[] = [];
  private readonly topic: actions.SnsAction;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const p = props.resourcePrefix;
    const failed = (alarmId: string, name: string, machine: sfn.IStateMachine, what: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${p}-${name}`,
        alarmDescription: `${p}: a ${what} execution failed, timed out or was aborted (details in its e-mail and the Step Functions console)`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedout + aborted',
          usingMetrics: {
            failed: machine.metricFailed({ statistic: 'Sum', period: Duration.minutes(5) }),
            timedout: machine.metricTimedOut({ statistic: 'Sum', period: Duration.minutes(5) }),
            aborted: machine.metricAborted({ statistic: 'Sum', period: Duration.minutes(5) }),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    if (props.trainingStateMachine) this.trainingFailed = failed('TrainingFailedAlarm', 'training-failed', props.trainingStateMachine, 'training workflow');
    this.deploymentFailed = failed('DeploymentFailedAlarm', 'deployment-failed', props.deploymentStateMachine, 'deployment workflow');
    this.drift = new cloudwatch.Alarm(this, 'DriftAlarm', {
      alarmName: `${p}-drift`,
      alarmDescription: `${p}: at least one feature of the captured traffic drifted beyond its threshold (metric ${DRIFT_METRIC} in ${metricsNamespace(p)}); starts retraining when retraining.onDrift is on`,
      metric: new cloudwatch.Metric({
        namespace: metricsNamespace(p),
        metricName: DRIFT_METRIC,
        dimensionsMap: { [PIPELINE_DIMENSION]: p },
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.topic = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'Topic', props.topicArn));
    for (const alarm of [this.trainingFailed, this.deploymentFailed, this.drift, ...props.alsoNotify]) if (alarm) this.notify(alarm);
  }

  /**
   * An alarm, e-mailed, for each dead-letter queue of `scope` (every SQS queue the pipeline makes
   * is one): nothing that failed for good waits there unseen (#13 item 6).
   */
  watchDeadLetterQueues(scope: Construct): void {
    const queues = scope.node.findAll().filter((c): c is sqs.Queue => c instanceof sqs.Queue);
    for (const queue of queues) {
      const name = (queue.node.defaultChild as sqs.CfnQueue).queueName!;
      const alarm = deadLetterAlarm(
        this,
        `${queue.node.path.replace(/[^A-Za-z0-9]/g, '')}Alarm`,
        queue,
        `${name} holds messages: events or invocations that failed after their retries (the original event is in each message; fix the cause, then send them again to the target, or delete them)`,
      );
      this.notify(alarm);
      this.deadLetters.push(alarm);
    }
  }

  private notify(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(this.topic);
    alarm.addOkAction(this.topic);
  }
}
