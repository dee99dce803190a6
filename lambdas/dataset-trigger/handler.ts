import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/env';
import { parseInput } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { S3ObjectStore } from '../shared/s3-object-store';
import { startOnce } from '../shared/sfn';
import { onObjectCreated, type TriggerOutcome, type WorkflowStarter } from './logic';
import { objectCreatedEventSchema } from './schema';

const log = createLogger('dataset-trigger');
const s3 = new S3Client({});
const sfn = new SFNClient({});

/** Step Functions starter: `exists` means the dataset already has its run. */
export function sfnStarter(client: SFNClient, stateMachineArn: string): WorkflowStarter {
  return { start: (name, input) => startOnce(client, stateMachineArn, name, input) };
}

export async function handler(event: unknown): Promise<TriggerOutcome> {
  const { bucket, object } = parseInput(objectCreatedEventSchema, event, 'not an S3 "Object Created" event').detail;
  return onObjectCreated(bucket.name, object.key, {
    pipeline: requireEnv('PIPELINE_NAME'),
    landingBucket: requireEnv('LANDING_BUCKET'),
    store: new S3ObjectStore(s3),
    starter: sfnStarter(sfn, requireEnv('STATE_MACHINE_ARN')),
    log,
  });
}
