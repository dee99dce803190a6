import { traced } from '../shared/tracing';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { envAnnouncer, type FactPublisher } from '../shared/event-publisher';
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

export function createHandler(deps: { sfn: SFNClient; announce: FactPublisher; log: Logger }, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context): Promise<ApprovalOutcome> => {
    logInvocation(deps.log, context);
    const parsed = parseInput(modelPackageEventSchema, event, 'not a "SageMaker Model Package State Change" event');
    return onModelPackageEvent(parsed, {
      group: readEnv(env).MODEL_PACKAGE_GROUP,
      starter: sfnDeploymentStarter(deps.sfn, readEnv(env).STATE_MACHINE_ARN),
      notifier: {
        async rejected(modelPackageArn, by, reason) {
          await deps.announce({ kind: 'model-rejected', modelPackageArn, ...(by ? { by } : {}), ...(reason ? { reason } : {}) });
        },
      },
      log: deps.log,
    });
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sfn: SFNClient; eventBridge: EventBridgeClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler({ sfn: c.sfn, announce: envAnnouncer(c.eventBridge, env), log: createLogger('model-approval') }, env);

export const handler = handlerWith({ sfn: traced(new SFNClient({})), eventBridge: traced(new EventBridgeClient({})) });
