import { traced } from '../shared/tracing';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { envReader } from '../shared/env';
import { parseInput } from '../shared/errors';
import { createLogger, logInvocation } from '../shared/logger';
import { S3ObjectStore } from '../shared/s3-object-store';
import { executionState, startOnce } from '../shared/sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { envAnnouncer } from '../shared/event-publisher';
import { onObjectCreated, type TriggerOutcome, type WorkflowStarter } from './logic';
import { triggerEnv } from './contract';
import { objectCreatedEventSchema } from './schema';
import type { Context } from 'aws-lambda';

const readEnv = envReader(triggerEnv);

const log = createLogger('dataset-trigger');

/** Step Functions starter: `exists` means the dataset already has its run. */
export function sfnStarter(client: SFNClient, stateMachineArn: string): WorkflowStarter {
  return { start: (name, input) => startOnce(client, stateMachineArn, name, input), state: (arn) => executionState(client, arn) };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export function handlerWith(c: { s3: S3Client; sfn: SFNClient; eventBridge: EventBridgeClient }, env: NodeJS.ProcessEnv = process.env) {
  const store = new S3ObjectStore(c.s3);
  return async (event: unknown, context?: Context): Promise<TriggerOutcome> => {
    logInvocation(log, context);
    const { bucket, object } = parseInput(objectCreatedEventSchema, event, 'not an S3 "Object Created" event').detail;
    const e = readEnv(env);
    const announce = envAnnouncer(c.eventBridge, env);
    return onObjectCreated(
      bucket.name,
      object.key,
      {
        pipeline: e.PIPELINE_NAME,
        landingBucket: e.LANDING_BUCKET,
        artifactsBucket: e.ARTIFACTS_BUCKET,
        store,
        starter: sfnStarter(c.sfn, e.STATE_MACHINE_ARN),
        notifyReupload: async (n) => {
          await announce({ kind: 'dataset-already-trained', ...n });
        },
        notifyLate: async (n) => {
          await announce({ kind: 'dataset-late-files', ...n, lateKeys: [...n.lateKeys] });
        },
        ignore: e.IGNORE,
        log,
      },
      object['version-id'],
    );
  };
}

export const handler = handlerWith({ s3: traced(new S3Client({})), sfn: traced(new SFNClient({})), eventBridge: traced(new EventBridgeClient({})) });
