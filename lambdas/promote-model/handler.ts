import { traced } from '../shared/tracing';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { envReader } from '../shared/env';
import { parseInput } from '../shared/errors';
import { envAnnouncer } from '../shared/event-publisher';
import { createLogger, logInvocation } from '../shared/logger';
import { S3ObjectStore } from '../shared/s3-object-store';
import { promoteEnv } from './contract';
import { type PromotionDeps, promoteOrRefuse, type Registry } from './logic';
import { modelLiveEventSchema } from './schema';

/** DescribeModelPackage of the source (its group's resource policy lets this stage read it) and CreateModelPackage here. */
export function sageMakerRegistry(client: SageMakerClient): Registry {
  return {
    async describe(arn) {
      const p = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
      const container = p.InferenceSpecification?.Containers?.[0];
      return {
        approvalStatus: p.ModelApprovalStatus ?? 'Unknown',
        image: container?.Image ?? '',
        modelDataUrl: container?.ModelDataUrl ?? '',
        contentTypes: p.InferenceSpecification?.SupportedContentTypes ?? [],
        responseTypes: p.InferenceSpecification?.SupportedResponseMIMETypes ?? [],
        metadata: p.CustomerMetadataProperties ?? {},
      };
    },
    async register(r) {
      const out = await client.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: r.group,
          ModelPackageDescription: r.description,
          ModelApprovalStatus: r.approvalStatus,
          InferenceSpecification: {
            Containers: [{ Image: r.image, ModelDataUrl: r.modelDataUrl }],
            SupportedContentTypes: [...r.contentTypes],
            SupportedResponseMIMETypes: [...r.responseTypes],
          },
          CustomerMetadataProperties: { ...r.metadata },
          ClientToken: r.clientToken,
          Tags: [...r.tags],
        }),
      );
      return out.ModelPackageArn!;
    },
  };
}

const readEnv = envReader(promoteEnv);
const log = createLogger('promote-model');

/** The handler over any registry, store and publisher (the offline cloud passes local ones). */
export function createHandler(deps: PromotionDeps, env: NodeJS.ProcessEnv = process.env) {
  return async (event: unknown, context?: Context) => {
    logInvocation(deps.log, context);
    return promoteOrRefuse(parseInput(modelLiveEventSchema, event, 'not a Model Live event'), readEnv(env), deps);
  };
}

/** The handler as deployed, over the given SDK clients. */
export const handlerWith = (c: { sageMaker: SageMakerClient; s3: S3Client; eventBridge: EventBridgeClient }, env: NodeJS.ProcessEnv = process.env) =>
  createHandler({ registry: sageMakerRegistry(c.sageMaker), store: new S3ObjectStore(c.s3), announce: envAnnouncer(c.eventBridge, env), log }, env);

export const handler = handlerWith({
  sageMaker: traced(new SageMakerClient({})),
  s3: traced(new S3Client({})),
  eventBridge: traced(new EventBridgeClient({})),
});
