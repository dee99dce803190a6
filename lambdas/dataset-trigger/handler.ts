import { S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/env';
import { parseInput } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { S3ObjectStore } from '../shared/s3-object-store';
import { onObjectCreated, type TriggerOutcome, type WorkflowStarter } from './logic';
import { objectCreatedEventSchema } from './schema';

const log = createLogger('dataset-trigger');
const s3 = new S3Client({});
const sfn = new SFNClient({});

/** Step Functions starter: ExecutionAlreadyExists means the dataset already has its run. */
export function sfnStarter(client: SFNClient, stateMachineArn: string): WorkflowStarter {
  return {
    async start(name, input) {
      try {
        const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return { status: 'started', executionArn: out.executionArn };
      } catch (e) {
        if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') return { status: 'exists' };
        throw e;
      }
    },
  };
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
