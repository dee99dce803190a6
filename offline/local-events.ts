import { ACCOUNT, type SynthesizedAccount } from './account';
import { validateAwsRequest } from './api-models';
import { matchesPattern } from './event-pattern';
import type { Authorizer } from './iam/authorizer';
import { checkLambdaPayload, checkPutEventsEntry } from './limits';
import type { LocalService } from './local-aws';
import { envelope } from './service-events';

type Json = Record<string, any>;

/** The event EventBridge makes of a PutEvents entry, as a rule's target receives it (`account`: the sender's). */
export const eventOf = (e: { Source: string; DetailType: string; Detail: string; Resources?: readonly string[] }, id: string, account = ACCOUNT): Json =>
  envelope(account, id, e.DetailType, e.Source, [...(e.Resources ?? [])], JSON.parse(e.Detail));

/** An event as a rule's target receives it. */
export interface DeliveredEvent {
  readonly bus: string;
  readonly event: Json;
}

/** Where the offline cloud delivers what a rule matched: its own functions, and event buses (of a linked account). */
export interface RuleTargets {
  /** Whether the function runs in this offline cloud (rules of other pipelines' stacks target functions that do not). */
  hosts(functionArn: string): boolean;
  invoke(functionArn: string, event: Json): Promise<unknown>;
  /** Delivers to an event bus (cross-account: the linked account's cloud routes it on). */
  forward(busArn: string, event: Json): Promise<void>;
  deliveryFailed(what: string, error: string): void;
}

/**
 * EventBridge in the offline account: PutEvents (validated against the official API model, each
 * entry within the entry size limit) and routing to every rule on that bus whose pattern matches.
 * A Lambda target is invoked as events.amazonaws.com under its resource policy; an event-bus
 * target (another account's bus) through the rule's role: EventBridge assumes it, and the role
 * puts the event on the target bus, whose resource policy must admit it.
 */
export class LocalEventBridge {
  /** Every event put with PutEvents (the platform's lifecycle events), in order. */
  readonly put: DeliveredEvent[] = [];
  private count = 0;

  constructor(
    private readonly account: SynthesizedAccount,
    private readonly authorizer: Authorizer,
    private readonly targets: RuleTargets,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The PutEvents API the functions' EventBridge clients reach (after their own authorization). */
  service(): LocalService {
    return async (op, p) => {
      if (op !== 'PutEvents') throw new Error(`the offline EventBridge has no ${op}`);
      validateAwsRequest('eventbridge', op, p);
      const results: Json[] = [];
      for (const e of p.Entries as Json[]) {
        checkPutEventsEntry({ Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources });
        const id = `sim-event-${this.account.id}-${++this.count}`;
        const event = eventOf({ Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources }, id, this.account.id);
        const bus = e.EventBusName ?? 'default';
        this.put.push({ bus, event });
        this.log(`  event: ${e.DetailType}`);
        // Delivery is asynchronous in AWS: a target that fails does not fail PutEvents (it retries, then dead-letters).
        try {
          await this.route(event, bus);
        } catch (err) {
          this.targets.deliveryFailed(`${e.DetailType} on ${bus}`, (err as Error).message);
        }
        results.push({ EventId: id });
      }
      return { FailedEntryCount: 0, Entries: results };
    };
  }

  /**
   * Every rule on `bus` whose pattern matches delivers to its targets (a target's failure
   * propagates to the caller). `forwarded`: the event came from another bus, and EventBridge sends
   * it to no further bus ("events received from a sender account are not sent on to a third").
   */
  async route(event: Json, bus = 'default', forwarded = false): Promise<void> {
    checkPutEventsEntry({ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail), Resources: event.resources });
    for (const rule of this.account.resourcesOfType('AWS::Events::Rule')) {
      const ruleBus = (this.account.resolve(rule.properties.EventBusName, rule.stack) as string | undefined) ?? 'default';
      if (ruleBus.split('/').pop() !== bus.split('/').pop()) continue;
      if (!matchesPattern(this.account.resolve(rule.properties.EventPattern, rule.stack), event)) continue;
      const ruleArn = this.account.getAtt(rule.stack, rule.logicalId, 'Arn');
      for (const t of this.account.resolve(rule.properties.Targets, rule.stack) as Json[]) await this.deliver(ruleArn, t, event, forwarded);
    }
  }

  private async deliver(ruleArn: string, target: Json, event: Json, forwarded: boolean): Promise<void> {
    const via = `rule ${ruleArn.split('/').pop()} → ${String(target.Arn).split(/[:/]/).pop()}`;
    const arn = String(target.Arn);
    if (arn.includes(':event-bus/')) {
      if (forwarded) return;
      if (!target.RoleArn) throw new Error(`${via}: an event-bus target without a role is not modelled offline (the platform gives each one a role)`);
      await this.authorizer.authorize({
        principal: 'events.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: target.RoleArn,
        context: { 'aws:SourceArn': ruleArn },
        via,
      });
      await this.authorizer.authorize({
        principal: target.RoleArn,
        action: 'events:PutEvents',
        resource: arn,
        context: { 'events:source': [event.source], 'events:detail-type': [event['detail-type']] },
        via,
      });
      this.log(`  event forwarded: ${event['detail-type']} → ${arn}`);
      await this.targets.forward(arn, event);
      return;
    }
    if (!this.targets.hosts(arn)) return;
    await this.authorizer.authorize({
      principal: 'events.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: arn,
      context: { 'aws:SourceArn': ruleArn },
      via,
    });
    checkLambdaPayload('async', JSON.stringify(event));
    await this.targets.invoke(arn, event);
  }
}
