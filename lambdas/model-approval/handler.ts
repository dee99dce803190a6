import { traced } from '../shared/tracing';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { contextFromEnv, type Publisher, snsPublisher } from '../notify/handler';
import { formatNotification } from '../notify/logic';
import { envReader } from '../shared/env';
import { approvalEnv } from './contract';
import { parseInput } from '../shared/errors';
import { createLogger, type Logger, logInvocation } from '../shared/logger';
import { startOnce } from '../shared/sfn';
import { type ApprovalOutcome, type DeploymentStarter, onModelPackageEvent } from './logic';
import { modelPackageEventSchema } from './schema';
import type { Context } from 'aws-lambda';

/** StartExecution; `exists` means this approval already has its deployment. */
export function sfnDeploymentStarter(client: SFNClient, stateMachineArn: string): DeploymentStarter {
  return { start: async (name, input) => (await startOnce(client, stateMachineArn, name, input)).status };
}

const readEnv = envReader(approvalEnv);

export function createHandler(deps: { sfn: SFNClient; publish: Publisher; log: Logger }, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<ApprovalOutcome> => {
    logInvocation(deps.log, context);
    const parsed = parseInput(modelPackageEventSchema, event, 'not a "SageMaker Model Package State Change" event');
    return onModelPackageEvent(parsed, {
      group: readEnv(env).MODEL_PACKAGE_GROUP,
      starter: sfnDeploymentStarter(deps.sfn, readEnv(env).STATE_MACHINE_ARN),
      notifier: {
        async rejected(modelPackageArn, by, reason) {
          const msg = formatNotification(
            { kind: 'model-rejected', modelPackageArn, ...(by ? { by } : {}), ...(reason ? { reason } : {}) },
            contextFromEnv(env),
          );
          await deps.publish(readEnv(env).TOPIC_ARN, msg);
        },
      },
      log: deps.log,
    });
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sfn: SFNClient; sns: SNSClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler({ sfn: c.sfn, publish: snsPublisher(c.sns), log: createLogger('model-approval') }, env);

export const handler = handlerWith({ sfn: traced(new SFNClient({})), sns: traced(new SNSClient({})) });
