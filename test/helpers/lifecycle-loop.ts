import { createHandler, type Publisher } from '../../lambdas/notify/handler';
import { factEntry, type FactPublisher, lifecycleContextFromEnv } from '../../lambdas/shared/event-publisher';
import { DETAIL_TYPES, EMAILED_KINDS } from '../../lambdas/shared/lifecycle';
import type { FormattedMessage } from '../../lambdas/notify/logic';
import { eventOf } from '../../offline/local-events';

type Json = Record<string, any>;

const EMAILED = new Set<string>(EMAILED_KINDS.map((k) => DETAIL_TYPES[k]));

/**
 * The stage's bus folded into the workflow harnesses: a fact a function announces becomes the
 * event PutEvents would carry (recorded in `events`), and an e-mailed one is delivered to the
 * notify function as its e-mail rule would, which publishes it with `publish`.
 */
export function busLoop(notifyEnv: NodeJS.ProcessEnv, publish: Publisher) {
  const events: Json[] = [];
  const announceAs =
    (env: NodeJS.ProcessEnv): FactPublisher =>
    async (fact) => {
      const entry = factEntry(fact, lifecycleContextFromEnv(env));
      const event = eventOf(entry, `loop-${events.length + 1}`);
      events.push(event);
      if (EMAILED.has(entry.DetailType)) await notify(event);
      return event.id;
    };
  const notify = createHandler({ publish, announce: announceAs(notifyEnv) }, notifyEnv);
  return { notify, announceAs, events };
}

/** The e-mail the notify function makes of one PutEvents entry (as the e-mail rule delivers it), for handler tests. */
export async function emailOf(entry: { Source?: string; DetailType?: string; Detail?: string }, env: NodeJS.ProcessEnv): Promise<FormattedMessage> {
  const sent: FormattedMessage[] = [];
  const notify = createHandler(
    {
      publish: async (_t, m) => String(sent.push(m)),
      announce: async () => {
        throw new Error('the e-mail path announces nothing');
      },
    },
    { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:mlops-dev-notifications', ...env },
  );
  await notify({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail!) });
  if (sent.length !== 1) throw new Error(`expected one e-mail, got ${sent.length}`);
  return sent[0]!;
}
