import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { REGION, type SynthesizedAccount } from './account';
import type { Authorizer } from './iam/authorizer';
import { needsOf, type ServiceState } from './iam/requests';

type Json = Record<string, any>;

/** A local implementation of one service's operations (PascalCase operation, SDK input → SDK output). */
export type LocalService = (operation: string, input: Json) => Promise<Json>;

export interface LocalAws {
  readonly account: SynthesizedAccount;
  readonly authorizer: Authorizer;
  readonly services: Record<'s3' | 'sagemaker' | 'sfn' | 'sns' | 'ssm' | 'cloudwatch' | 'eventbridge', LocalService>;
  readonly state: ServiceState;
}

/** The error name each service gives an unauthorized call. */
const DENIED: Record<string, string> = { s3: 'AccessDenied', sns: 'AuthorizationError' };

/**
 * Real AWS SDK v3 clients whose transport is the offline cloud: each command is first authorized
 * for `principal` (the function's synthesized role) as IAM would, then answered by the local
 * service. The Lambdas' own adapters run unchanged on top of them.
 */
export function localClients(aws: LocalAws, principal: string, via: string) {
  const make = <T extends object>(Client: new (config: Json) => T, service: keyof LocalAws['services']): T => {
    const client = new Client({ region: REGION, credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } });
    // An own `send`, not a middleware: it also holds where a test has stubbed the client class's prototype (aws-sdk-client-mock).
    Object.defineProperty(client, 'send', {
      value: async (command: { constructor: { name: string }; input: Json }) => {
        const operation = command.constructor.name.replace(/Command$/, '');
        for (const need of needsOf(aws.account, service, operation, command.input, aws.state)) {
          await aws.authorizer.authorize({ principal, via: `${via} ${service}:${operation}`, ...need }, DENIED[service]);
        }
        try {
          return { $metadata: { httpStatusCode: 200 }, ...(await aws.services[service](operation, command.input)) };
        } catch (e) {
          if (service === 's3' && isMissingKey(e)) await missingKeyAnswer(aws, principal, `${via} s3:${operation}`, command.input);
          throw e;
        }
      },
    });
    return client;
  };
  return {
    s3: make(S3Client, 's3'),
    sageMaker: make(SageMakerClient, 'sagemaker'),
    sfn: make(SFNClient, 'sfn'),
    sns: make(SNSClient, 'sns'),
    ssm: make(SSMClient, 'ssm'),
    cloudWatch: make(CloudWatchClient, 'cloudwatch'),
    eventBridge: make(EventBridgeClient, 'eventbridge'),
  };
}

/** An SDK-shaped error (`name`, and the HTTP status the SDK's callers test). */
export const sdkError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

const isMissingKey = (e: unknown) => ['NotFound', 'NoSuchKey'].includes((e as Error).name);

/**
 * S3 tells a caller that a key does not exist (404) only when it may list the bucket
 * (s3:ListBucket); otherwise it answers 403, so that keys cannot be probed ("GetObject",
 * "HeadObject" in the S3 API reference). A denied ListBucket makes the missing key an AccessDenied.
 */
async function missingKeyAnswer(aws: LocalAws, principal: string, via: string, input: Json): Promise<void> {
  try {
    await aws.authorizer.authorize({
      principal,
      via: `${via} (missing key: may it list?)`,
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${input.Bucket}`,
      context: { 's3:prefix': input.Key },
    });
  } catch {
    throw sdkError('AccessDenied', `Access Denied (${input.Key} does not exist, and without s3:ListBucket S3 answers 403)`, 403);
  }
}
