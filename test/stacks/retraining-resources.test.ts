import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { resolveCfn } from '../../offline/cfn';
import { synthPlatform } from '../../offline/synth';

/** Template assertions for alarms and retraining. */
let t: Template;
const pipelineTemplate = (override?: unknown) => {
  const s = synthPlatform(override);
  return s.template(s.stages.get('dev')!.pipelines[0]!);
};
beforeAll(() => {
  t = pipelineTemplate();
});

describe('alarms', () => {
  it('e-mails every alarm of the pipeline, going to ALARM and back to OK', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual([
      'mlops-dev-breast-cancer-approval-dlq-not-empty',
      'mlops-dev-breast-cancer-deployment-failed',
      'mlops-dev-breast-cancer-drift',
      'mlops-dev-breast-cancer-drift-check-dlq-not-empty',
      'mlops-dev-breast-cancer-primary-5xx',
      'mlops-dev-breast-cancer-primary-p99-latency',
      'mlops-dev-breast-cancer-retrain-dlq-not-empty',
      'mlops-dev-breast-cancer-training-failed',
      'mlops-dev-breast-cancer-trigger-dlq-not-empty',
    ]);
    for (const a of alarms) {
      expect(JSON.stringify(a.Properties.AlarmActions)).toContain(':mlops-dev-notifications');
      expect(JSON.stringify(a.Properties.OKActions)).toContain(':mlops-dev-notifications');
    }
  });

  it('alarms on a message in any of its 4 dead-letter queues (#13 item 6)', () => {
    const queues = Object.keys(t.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(4);
    const watched = (Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[])
      .filter((a) => a.Properties.AlarmName.endsWith('-dlq-not-empty'))
      .map((a) => {
        expect(a.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1, Statistic: 'Maximum' });
        return a.Properties.Dimensions[0].Value['Fn::GetAtt'][0];
      });
    expect(watched.sort()).toEqual(queues.sort());
  });

  it('alarms on any failed, timed-out or aborted training run', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mlops-dev-breast-cancer-training-failed',
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + timedout + aborted' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }) }),
        }),
      ]),
    });
  });

  it("alarms on drift from the pipeline's drift metric, hourly", () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mlops-dev-breast-cancer-drift',
      Namespace: 'MLOps/mlops-dev-breast-cancer',
      MetricName: 'DriftedFeatures',
      Dimensions: [{ Name: 'Pipeline', Value: 'mlops-dev-breast-cancer' }],
      Period: 3600,
      Threshold: 1,
    });
  });
});

describe('retraining', () => {
  it('routes only the drift alarm entering ALARM to the retrain Lambda, with a DLQ', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsDriftAlarm'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RetrainingHandler'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('makes decisions one at a time (reserved concurrency 1)', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mlops-dev-breast-cancer-retrain',
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ COOLDOWN_HOURS: '24', LATEST_DATASET_PARAMETER: '/mlops/dev/breast-cancer/latest-dataset' }) },
    });
  });

  it('keeps the latest accepted dataset in an SSM parameter that only the training workflow writes', () => {
    t.hasResourceProperties('AWS::SSM::Parameter', { Name: '/mlops/dev/breast-cancer/latest-dataset', Type: 'String', Value: 'none' });
    const writers = Object.values(t.findResources('AWS::IAM::Policy')).filter((p: any) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('ssm:PutParameter'),
    );
    expect(writers.map((p: any) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringContaining('TrainingWorkflowStateMachineRole')]);
  });

  it('has no schedule unless one is configured; with one, runs the Lambda through Scheduler with retries and the DLQ', () => {
    const retrainSchedules = (tpl: Template) =>
      Object.values(tpl.findResources('AWS::Scheduler::Schedule')).filter((r: any) => r.Properties.Name.endsWith('-retrain'));
    expect(retrainSchedules(t)).toHaveLength(0);
    const scheduled = pipelineTemplate({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], retraining: { schedule: 'rate(7 days)', onDrift: false } }] });
    expect(retrainSchedules(scheduled)).toHaveLength(1);
    scheduled.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(7 days)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Input: JSON.stringify({ kind: 'scheduled-retraining', pipeline: 'breast-cancer' }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    expect(
      Object.values(scheduled.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern.source[0] === 'aws.cloudwatch'),
    ).toHaveLength(0);
    // No drift retraining, no drift recheck either.
    expect(Object.values(scheduled.findResources('AWS::Scheduler::Schedule')).filter((r: any) => r.Properties.Name.endsWith('-drift-recheck'))).toHaveLength(0);
  });

  it('with onDrift, rechecks hourly whether drift persists (the alarm raises no new event while it stays in ALARM), reading only its own alarm', () => {
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mlops-dev-breast-cancer-drift-recheck',
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RetrainingHandler'), 'Arn'] },
        Input: JSON.stringify({ kind: 'drift-recheck', pipeline: 'breast-cancer' }),
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    const describe = Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('RetrainingHandlerRole'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('cloudwatch:DescribeAlarms'));
    expect(describe).toHaveLength(1);
    expect(describe[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlarmsDriftAlarm/), 'Arn'] });
  });
});

describe('dashboard', () => {
  it('shows runs, run duration, traffic/errors/latency for production and shadow, drift and every alarm', () => {
    const [dash] = Object.values(t.findResources('AWS::CloudWatch::Dashboard')) as any[];
    expect(dash.Properties.DashboardName).toBe('mlops-dev-breast-cancer');
    const body = JSON.parse(resolveCfn(dash.Properties.DashboardBody, t.toJSON()));
    const titles = body.widgets.map((w: any) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Alarms',
      'Training executions',
      'Training run duration (minutes)',
      'Deployment executions',
      'Invocations per variant',
      '5XX errors per variant',
      'Model latency p99 per variant (µs)',
      'Drifted features (drift check)',
      'Model errors per variant',
    ]);
    const latency = body.widgets.find((w: any) => w.properties.title?.startsWith('Model latency')).properties.metrics;
    expect(latency.map((m: any) => m.slice(0, 6))).toEqual([
      ['AWS/SageMaker', 'ModelLatency', 'EndpointName', 'mlops-dev-breast-cancer', 'VariantName', 'primary'],
      ['AWS/SageMaker', 'ModelLatency', 'EndpointName', 'mlops-dev-breast-cancer', 'VariantName', 'shadow'],
    ]);
    expect(body.widgets.find((w: any) => w.properties.title === 'Alarms').properties.alarms).toHaveLength(9);
  });
});

describe('drift check', () => {
  it('runs hourly through EventBridge Scheduler, with retries and a DLQ', () => {
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mlops-dev-breast-cancer-drift-check',
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^DriftCheckStateMachine') },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
  });

  it("lets the check publish only to its own pipeline's metric namespace, so no pipeline can fire another's drift alarm (#13 item 5)", () => {
    const st = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles).includes('DriftCheckFunction'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .find((s: any) => s.Action === 'cloudwatch:PutMetricData');
    expect(st.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'MLOps/mlops-dev-breast-cancer' } });
  });

  it('is switched off, not removed, with monitoring.enabled: false', () => {
    const off = pipelineTemplate({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], monitoring: { enabled: false } }] });
    off.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'mlops-dev-breast-cancer-drift-check', State: 'DISABLED' });
  });
});
