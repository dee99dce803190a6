import { traced } from '../shared/tracing';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { envReader, requireEnv } from '../shared/env';
import { notifyEnv } from './contract';
import { parseInput } from '../shared/errors';
import { type FormattedMessage, formatNotification, type NotifyContext } from './logic';
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

/** The names a message shows, and the topic, from the environment every e-mailing function has (notifyEnvShape). */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyContext & { topicArn: string } {
  const e = readEnv(env);
  return {
    project: e.PROJECT,
    stage: e.STAGE,
    pipeline: e.PIPELINE_NAME,
    region: requireEnv('AWS_REGION', env),
    modelPackageGroup: e.MODEL_PACKAGE_GROUP,
    topicArn: e.TOPIC_ARN,
  };
}

/** The handler over any publisher and environment. */
export function createHandler(publish: Publisher, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<{ messageId: string; subject: string }> => {
    logInvocation(log, context);
    const ctx = contextFromEnv(env);
    const msg = formatNotification(parseInput(notificationSchema, event, 'bad notification'), ctx);
    const messageId = await publish(ctx.topicArn, msg);
    log.info('notification published', { subject: msg.subject, messageId, ...msg.attributes });
    return { messageId, subject: msg.subject };
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sns: SNSClient }, env: NodeJS.ProcessEnv = process.env) => createHandler(snsPublisher(c.sns), env);

export const handler = handlerWith({ sns: traced(new SNSClient({})) });
