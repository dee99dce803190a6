import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { requireEnv } from '../shared/env';
import { InvalidInputError } from '../shared/errors';
import { formatNotification, type NotifyContext } from './logic';
import { notificationSchema } from './schema';

const sns = new SNSClient({});

export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyContext {
  return {
    project: requireEnv('PROJECT', env),
    stage: requireEnv('STAGE', env),
    pipeline: requireEnv('PIPELINE_NAME', env),
    region: requireEnv('AWS_REGION', env),
    modelPackageGroup: requireEnv('MODEL_PACKAGE_GROUP', env),
  };
}

export async function handler(event: unknown): Promise<{ messageId: string; subject: string }> {
  const parsed = notificationSchema.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`bad notification: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const msg = formatNotification(parsed.data, contextFromEnv());
  const out = await sns.send(
    new PublishCommand({
      TopicArn: requireEnv('TOPIC_ARN'),
      Subject: msg.subject,
      Message: msg.body,
      MessageAttributes: Object.fromEntries(Object.entries(msg.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
    }),
  );
  return { messageId: out.MessageId ?? '', subject: msg.subject };
}
