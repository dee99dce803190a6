import { traced } from '../shared/tracing';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envReader } from '../shared/env';
import { envAnnouncer, type FactPublisher, lifecycleContextFromEnv } from '../shared/event-publisher';
import { DETAIL_TYPES, lifecycleSource } from '../shared/lifecycle';
import { notifyEnv } from './contract';
import { InvalidInputError, parseInput } from '../shared/errors';
import { type FormattedMessage, formatNotification } from './logic';
import { notificationSchema } from './schema';
import type { Context } from 'aws-lambda';
import { createLogger, logInvocation } from '../shared/logger';

/** Publishes one formatted message; returns its message id. */
export type Publisher = (topicArn: string, message: FormattedMessage) => Promise<string>;

export function snsPublisher(sns: SNSClient): Publisher {
  return async (topicArn, msg) => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: msg.subject,
        Message: msg.body,
        MessageAttributes: Object.fromEntries(Object.entries(msg.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
      }),
    );
    return out.MessageId ?? '';
  };
}

const readEnv = envReader(notifyEnv);
const log = createLogger('notify');

/** A lifecycle event as EventBridge delivers it to the e-mail subscriber (its rule matches source, stage, pipeline and the e-mailed detail-types). */
const deliveredEvent = z.object({ source: z.string(), 'detail-type': z.string(), detail: z.record(z.string(), z.unknown()) });

/**
 * Two callers, one message type. A workflow announces a fact: it becomes an event on the stage's
 * bus. The bus delivers the e-mailed facts back (the e-mail rule): each becomes one e-mail.
 */
export function createHandler(deps: { publish: Publisher; announce: FactPublisher }, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<{ eventId: string } | { messageId: string; subject: string }> => {
    logInvocation(log, context);
    const ctx = lifecycleContextFromEnv(env);
    if (!(typeof event === 'object' && event !== null && 'detail-type' in event)) {
      const eventId = await deps.announce(parseInput(notificationSchema, event, 'bad notification'));
      log.info('fact announced', { eventId, kind: (event as { kind?: unknown }).kind });
      return { eventId };
    }
    const e = parseInput(deliveredEvent, event, 'bad lifecycle event');
    if (e.source !== lifecycleSource(ctx.project) || e.detail.stage !== ctx.stage || e.detail.pipeline !== ctx.pipeline)
      throw new InvalidInputError(
        `lifecycle event of ${e.source}/${String(e.detail.stage)}/${String(e.detail.pipeline)} delivered to the e-mail subscriber of ${ctx.stage}/${ctx.pipeline}`,
      );
    const fact = parseInput(notificationSchema, e.detail, `bad ${e['detail-type']} event`);
    if (DETAIL_TYPES[fact.kind] !== e['detail-type']) throw new InvalidInputError(`a ${fact.kind} fact under detail-type ${e['detail-type']}`);
    const msg = formatNotification(fact, ctx);
    const messageId = await deps.publish(readEnv(env).TOPIC_ARN, msg);
    log.info('notification published', { subject: msg.subject, messageId, ...msg.attributes });
    return { messageId, subject: msg.subject };
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sns: SNSClient; eventBridge: EventBridgeClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler({ publish: snsPublisher(c.sns), announce: envAnnouncer(c.eventBridge, env) }, env);

export const handler = handlerWith({ sns: traced(new SNSClient({})), eventBridge: traced(new EventBridgeClient({})) });
