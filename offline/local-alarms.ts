import { REGION, type SynthesizedAccount } from './account';
import type { AuthRequest } from './iam/authorizer';
import { needsOf } from './iam/requests';
import { alarmStateChange } from './service-events';

type Json = Record<string, any>;

/** What the alarms need of the offline cloud they live in. */
export interface AlarmHost {
  readonly account: SynthesizedAccount;
  readonly stack: string;
  now(): Date;
  log(line: string): void;
  authorize(request: AuthRequest): Promise<void>;
  putEvent(event: Json): Promise<void>;
  email(subject: string, body: string): void;
  deliveryFailed(what: string, error: string): void;
}

/**
 * CloudWatch alarms of one stack, evaluated on the metrics the simulation puts (threshold from
 * the template): a state change notifies the alarm's topics as cloudwatch.amazonaws.com (topic
 * and key policy must let it) and puts "CloudWatch Alarm State Change" on the default bus.
 */
export class LocalAlarms {
  readonly metrics: { namespace: string; name: string; value: number }[] = [];
  private readonly states = new Map<string, string>();
  private readonly since = new Map<string, string>();

  constructor(private readonly host: AlarmHost) {}

  private entries(): [string, Json][] {
    return Object.entries(this.host.account.template(this.host.stack).Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
  }

  /** The alarms as DescribeAlarms lists them, in the states the simulated metrics put them in. */
  list(): { AlarmName: string; AlarmArn: string; StateValue: string; StateUpdatedTimestamp?: string }[] {
    const { account, stack } = this.host;
    return this.entries().map(([id, r]) => ({
      AlarmName: account.resolve(r.Properties.AlarmName, stack) as string,
      AlarmArn: account.getAtt(stack, id, 'Arn'),
      StateValue: this.states.get(id) ?? 'INSUFFICIENT_DATA',
      ...(this.since.has(id) ? { StateUpdatedTimestamp: this.since.get(id) } : {}),
    }));
  }

  /** Records a metric and evaluates every alarm on it; a state change runs the alarm's actions. */
  async put(namespace: string, name: string, value: number, dimension: string): Promise<void> {
    const { account, stack } = this.host;
    this.metrics.push({ namespace, name, value });
    for (const [id, alarm] of this.entries().filter(([, r]) => r.Properties.Namespace === namespace && r.Properties.MetricName === name)) {
      const props = account.resolve(alarm.Properties, stack) as Json;
      const state = value >= props.Threshold ? 'ALARM' : 'OK';
      const previous = this.states.get(id) ?? 'OK';
      if (state === previous) continue;
      this.states.set(id, state);
      this.since.set(id, this.host.now().toISOString());
      const alarmArn = account.getAtt(stack, id, 'Arn');
      this.host.log(`  alarm ${props.AlarmName}: ${previous} → ${state} (${name} = ${value}, ${dimension})`);
      const reason = `${name} ${value} vs threshold ${props.Threshold}`;
      for (const topic of (state === 'ALARM' ? props.AlarmActions : props.OKActions) ?? []) await this.notify(alarmArn, props.AlarmName, topic, state, reason);
      await this.host.putEvent(alarmStateChange(account.id, alarmArn, props.AlarmName, state, previous, reason));
    }
  }

  /** CloudWatch publishes an alarm's notification as cloudwatch.amazonaws.com: the topic policy and the topic key must let it. */
  private async notify(alarmArn: string, alarmName: string, topicArn: string, state: string, reason: string): Promise<void> {
    try {
      for (const n of needsOf(this.host.account, 'sns', 'Publish', { TopicArn: topicArn }))
        await this.host.authorize({
          principal: 'cloudwatch.amazonaws.com',
          via: `alarm ${alarmName} → SNS`,
          ...n,
          context: { ...n.context, 'aws:SourceArn': alarmArn },
        });
      this.host.email(`${state}: "${alarmName}" in ${REGION}`, reason);
    } catch (e) {
      this.host.deliveryFailed(`alarm ${alarmName} → ${topicArn}`, (e as Error).message);
      this.host.log(`  alarm action failed (alarm history): ${(e as Error).message}`);
    }
  }
}
