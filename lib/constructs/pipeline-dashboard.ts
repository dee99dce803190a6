import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRIFT_METRIC, metricsNamespace, PIPELINE_DIMENSION, PRODUCTION_VARIANT, SHADOW_VARIANT } from '../../lambdas/shared/names';

export interface PipelineDashboardProps {
  readonly resourcePrefix: string;
  readonly endpointName: string;
  /** None in a stage that promotes another's models. */
  readonly trainingStateMachine?: sfn.IStateMachine;
  readonly deploymentStateMachine: sfn.IStateMachine;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * One dashboard per pipeline: workflow runs and their duration, the endpoint's traffic, errors
 * and latency per variant (production and shadow side by side), drift, and every alarm's state.
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const variant = (metricName: string, statistic: string, v: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName,
        dimensionsMap: { EndpointName: props.endpointName, VariantName: v },
        statistic,
        period: Duration.minutes(1),
        label,
      });
    const perVariant = (title: string, metricName: string, statistic: string, unit = '') =>
      new cloudwatch.GraphWidget({
        title,
        width: 8,
        left: [
          variant(metricName, statistic, PRODUCTION_VARIANT, `${PRODUCTION_VARIANT}${unit}`),
          variant(metricName, statistic, SHADOW_VARIANT, `${SHADOW_VARIANT}${unit}`),
        ],
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.resourcePrefix,
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# ${props.resourcePrefix}\nTraining, deployment, endpoint \`${props.endpointName}\` (variants \`${PRODUCTION_VARIANT}\` and, during a shadow test, \`${SHADOW_VARIANT}\`) and drift.`,
            width: 16,
            height: 2,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 8, height: 4 }),
        ],
        [...(props.trainingStateMachine ? trainingWidgets(props.trainingStateMachine) : []), runs(props.deploymentStateMachine, 'Deployment')],
        [
          perVariant('Invocations per variant', 'Invocations', 'Sum'),
          perVariant('5XX errors per variant', 'Invocation5XXErrors', 'Sum'),
          perVariant('Model latency p99 per variant (µs)', 'ModelLatency', 'p99'),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Drifted features (drift check)',
            width: 12,
            left: [
              new cloudwatch.Metric({
                namespace: metricsNamespace(props.resourcePrefix),
                metricName: DRIFT_METRIC,
                dimensionsMap: { [PIPELINE_DIMENSION]: props.resourcePrefix },
                statistic: 'Maximum',
                period: Duration.hours(1),
                label: 'features beyond threshold',
              }),
            ],
            leftAnnotations: [{ value: 1, label: 'drift alarm', color: cloudwatch.Color.RED }],
          }),
          perVariant('Model errors per variant', 'InvocationModelErrors', 'Sum'),
        ],
      ],
    });
  }
}

const runs = (m: sfn.IStateMachine, what: string) => {
  const period = Duration.minutes(5);
  return new cloudwatch.GraphWidget({
    title: `${what} executions`,
    width: 8,
    left: [
      m.metricStarted({ period, label: 'started' }),
      m.metricSucceeded({ period, label: 'succeeded' }),
      m.metricFailed({ period, label: 'failed' }),
      m.metricTimedOut({ period, label: 'timed out' }),
    ],
  });
};

/** Training runs and their duration (a stage that promotes another's models has none). */
function trainingWidgets(machine: sfn.IStateMachine): cloudwatch.IWidget[] {
  return [
    runs(machine, 'Training'),
    new cloudwatch.GraphWidget({
      title: 'Training run duration (minutes)',
      width: 8,
      left: [
        new cloudwatch.MathExpression({
          expression: 'm / 60000',
          usingMetrics: { m: machine.metricTime({ statistic: 'Average', period: Duration.hours(1) }) },
          label: 'average',
          period: Duration.hours(1),
        }),
        new cloudwatch.MathExpression({
          expression: 'x / 60000',
          usingMetrics: { x: machine.metricTime({ statistic: 'Maximum', period: Duration.hours(1) }) },
          label: 'longest',
          period: Duration.hours(1),
        }),
      ],
    }),
  ];
}
