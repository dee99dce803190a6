import { beforeAll, describe, expect, it } from 'vitest';
import { synthPlatform } from '../../offline/synth';
import { countResources, countStages, type StageInventory } from '../../tools/cost/inventory';
import { PIPELINE_STACK } from './fixtures/inventory';

describe('cost: counting what a template deploys', () => {
  it('bills a metric-math alarm by its metrics and a plain alarm as one, and keeps disabled schedules apart', () => {
    const metric = (id: string) => ({ Id: id, MetricStat: { Metric: { MetricName: id }, Period: 300, Stat: 'Sum' }, ReturnData: false });
    const counted = countResources({
      Resources: {
        Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 60 } },
        Math: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'sum', Expression: 'a + b' }, metric('a'), metric('b')] } },
        Key: { Type: 'AWS::KMS::Key' },
        Board: { Type: 'AWS::CloudWatch::Dashboard' },
        On: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' } },
        Off: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(2 hours)', State: 'DISABLED' } },
        Sts: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['subnet-a', 'subnet-b'] } },
        Sns: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'] } },
        S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-a'] } },
      },
    });
    expect(counted).toEqual({
      kmsKeys: 1,
      directAlarmMetrics: 1,
      mathAlarmMetrics: 2,
      dashboards: 1,
      schedules: [
        { expression: 'rate(1 hour)', enabled: true },
        { expression: 'rate(2 hours)', enabled: false },
      ],
      // Interface endpoints bill per zone (subnet) and hour; the S3 gateway endpoint is free.
      endpointAzs: 5,
    });
  });
});

describe('cost: the synthesized default config', () => {
  let dev: StageInventory;
  beforeAll(() => {
    // The default build other suites share (one synth per test worker).
    const s = synthPlatform();
    dev = countStages(s.config, s.stages, (stack) => s.template(stack).toJSON()).get('dev')!;
  });

  it('has one KMS key, in the data stack', () => {
    expect(dev.data.kmsKeys).toBe(1);
    expect(dev.pipelines['breast-cancer']!.kmsKeys).toBe(0);
  });

  it('gives the pipeline 13 alarm metrics (two metric-math alarms of 3), one dashboard and two hourly schedules', () => {
    // The counts test/cost/estimate.test.ts prices: a change here changes the estimate.
    expect(dev.pipelines['breast-cancer']).toEqual(PIPELINE_STACK);
    expect(PIPELINE_STACK).toMatchObject({ directAlarmMetrics: 7, mathAlarmMetrics: 6, dashboards: 1 });
  });

  it('leaves the data stack without alarms, dashboards or schedules', () => {
    expect(dev.data).toMatchObject({ directAlarmMetrics: 0, mathAlarmMetrics: 0, dashboards: 0, schedules: [] });
  });
});
