import { ACCOUNT, REGION, type SynthesizedAccount } from './account';
import { validateAwsRequest } from './api-models';
import { matchesPattern } from './event-pattern';
import type { Authorizer } from './iam/authorizer';
import { checkLambdaPayload, checkPutEventsEntry } from './limits';
import type { LocalService } from './local-aws';

type Json = Record<string, any>;

/** The event EventBridge makes of a PutEvents entry, as a rule's target receives it. */
export function eventOf(e: { Source: string; DetailType: string; Detail: string; Resources?: readonly string[] }, id: string): Json {
  return {
    version: '0',
    id,
    'detail-type': e.DetailType,
    source: e.Source,
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: e.Resources ?? [],
    detail: JSON.parse(e.Detail),
  };
}

/** An event as a rule's target receives it. */
export interface DeliveredEvent {
  readonly bus: string;
  readonly event: Json;
}

/**
 * EventBridge in the offline account: PutEvents (validated against the official API model, each
 * entry within the entry size limit) and routing to every rule of the stack on that bus whose
 * pattern matches; a Lambda target is invoked as events.amazonaws.com under its resource policy.
 */
export class LocalEventBridge {
  /** Every event put with PutEvents (the platform's lifecycle events), in order. */
  readonly put: DeliveredEvent[] = [];
  private count = 0;

  constructor(
    private readonly account: SynthesizedAccount,
    private readonly stack: string,
    private readonly authorizer: Authorizer,
    private readonly invoke: (functionArn: string, event: Json) => Promise<unknown>,
    private readonly deliveryFailed: (what: string, error: string) => void,
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
        const id = `sim-event-${++this.count}`;
        const event = eventOf({ Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources }, id);
        const bus = e.EventBusName ?? 'default';
        this.put.push({ bus, event });
        this.log(`  event: ${e.DetailType}`);
        // Delivery is asynchronous in AWS: a target that fails does not fail PutEvents (it retries, then dead-letters).
        try {
          await this.route(event, bus);
        } catch (err) {
          this.deliveryFailed(`${e.DetailType} on ${bus}`, (err as Error).message);
        }
        results.push({ EventId: id });
      }
      return { FailedEntryCount: 0, Entries: results };
    };
  }

  /** Every rule of the stack on `bus` whose pattern matches invokes its targets, as events.amazonaws.com under each function's resource policy. */
  async route(event: Json, bus = 'default'): Promise<void> {
    checkPutEventsEntry({ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail), Resources: event.resources });
    const template = this.account.template(this.stack);
    for (const [id, rule] of Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
      const ruleBus = (this.account.resolve(rule.Properties.EventBusName, this.stack) as string | undefined) ?? 'default';
      if (ruleBus.split('/').pop() !== bus.split('/').pop()) continue;
      if (!matchesPattern(this.account.resolve(rule.Properties.EventPattern, this.stack), event)) continue;
      const ruleArn = this.account.getAtt(this.stack, id, 'Arn');
      for (const t of rule.Properties.Targets as Json[]) {
        const target = this.account.resolve(t.Arn, this.stack) as string;
        await this.authorizer.authorize({
          principal: 'events.amazonaws.com',
          action: 'lambda:InvokeFunction',
          resource: target,
          context: { 'aws:SourceArn': ruleArn },
          via: `rule ${ruleArn.split('/').pop()} → Lambda`,
        });
        checkLambdaPayload('async', JSON.stringify(event));
        await this.invoke(target, event);
      }
    }
  }
}
