import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { requireEnv } from '../shared/env';
import { parseInput } from '../shared/errors';
import { type FormattedMessage, formatNotification, type NotifyContext } from './logic';
import { notificationSchema } from './schema';

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

export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyContext {
  return {
    project: requireEnv('PROJECT', env),
    stage: requireEnv('STAGE', env),
    pipeline: requireEnv('PIPELINE_NAME', env),
    region: requireEnv('AWS_REGION', env),
    modelPackageGroup: requireEnv('MODEL_PACKAGE_GROUP', env),
  };
}

/** The handler over any publisher and environment. */
export function createHandler(publish: Publisher, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown): Promise<{ messageId: string; subject: string }> => {
    const msg = formatNotification(parseInput(notificationSchema, event, 'bad notification'), contextFromEnv(env));
    return { messageId: await publish(requireEnv('TOPIC_ARN', env), msg), subject: msg.subject };
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sns: SNSClient }, env: NodeJS.ProcessEnv = process.env) => createHandler(snsPublisher(c.sns), env);

export const handler = handlerWith({ sns: new SNSClient({}) });
