import { traced } from '../shared/tracing';
import type { Context } from 'aws-lambda';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  paginateListEndpointConfigs,
  paginateListModels,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { parseInput } from '../shared/errors';
import { isEndpointNotFound } from '../shared/sagemaker';
import { createLogger, type Logger, logInvocation } from '../shared/logger';
import { cleanUp, type SageMakerJanitor } from './logic';
import { type CustomResourceEvent, customResourceEventSchema } from './schema';

export function sageMakerJanitor(client: SageMakerClient): SageMakerJanitor {
  const collect = async <T>(pages: AsyncIterable<T>, pick: (page: T) => (string | undefined)[]) => {
    const names: string[] = [];
    for await (const page of pages) names.push(...pick(page).filter((n): n is string => n !== undefined));
    return names;
  };
  return {
    async endpointExists(name) {
      try {
        await client.send(new DescribeEndpointCommand({ EndpointName: name }));
        return true;
      } catch (e) {
        if (isEndpointNotFound(e)) return false;
        throw e;
      }
    },
    deleteEndpoint: async (name) => void (await client.send(new DeleteEndpointCommand({ EndpointName: name }))),
    endpointConfigs: (prefix) =>
      collect(paginateListEndpointConfigs({ client }, { NameContains: prefix }), (p) => (p.EndpointConfigs ?? []).map((c) => c.EndpointConfigName)),
    deleteEndpointConfig: async (name) => void (await client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }))),
    models: (prefix) => collect(paginateListModels({ client }, { NameContains: prefix }), (p) => (p.Models ?? []).map((m) => m.ModelName)),
    deleteModel: async (name) => void (await client.send(new DeleteModelCommand({ ModelName: name }))),
  };
}

/** Sends the custom resource's result to CloudFormation's pre-signed URL. */
export type Responder = (url: string, body: Record<string, unknown>) => Promise<void>;

export const httpResponder: Responder = async (url, body) => {
  const res = await fetch(url, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation response rejected: HTTP ${res.status}`);
};

/**
 * Custom resource: on stack deletion, removes the endpoint, endpoint configs and models the
 * deployment workflow created (unless Retain is "true"). Create and Update do nothing.
 */
export function createHandler(deps: { janitor: SageMakerJanitor; respond: Responder; log: Logger; sleep?: (ms: number) => Promise<void> }) {
  return async (raw: unknown, context?: Context): Promise<void> => {
    logInvocation(deps.log, context);
    let event: CustomResourceEvent;
    try {
      event = parseInput(customResourceEventSchema, raw, 'not a CloudFormation custom resource request');
    } catch (e) {
      // Answer anyway when possible: CloudFormation would otherwise wait an hour for a reply.
      const r = raw as Partial<Record<'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId' | 'PhysicalResourceId', string>>;
      if (typeof r?.ResponseURL !== 'string') throw e;
      await deps.respond(r.ResponseURL, {
        Status: 'FAILED',
        Reason: (e as Error).message.slice(0, 1000),
        PhysicalResourceId: r.PhysicalResourceId ?? 'invalid-request',
        StackId: r.StackId,
        RequestId: r.RequestId,
        LogicalResourceId: r.LogicalResourceId,
      });
      return;
    }
    const { EndpointName, NamePrefix, Retain } = event.ResourceProperties;
    const reply = (Status: 'SUCCESS' | 'FAILED', Reason: string, Data: Record<string, unknown> = {}) =>
      deps.respond(event.ResponseURL, {
        Status,
        Reason,
        PhysicalResourceId: event.PhysicalResourceId ?? `runtime-resources-${EndpointName}`,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
        Data,
      });
    if (event.RequestType !== 'Delete') return reply('SUCCESS', 'nothing to do until the stack is deleted');
    if (Retain === 'true') {
      deps.log.info('retained runtime resources', { EndpointName, NamePrefix });
      return reply('SUCCESS', `retained ${EndpointName} and ${NamePrefix}* (deployment.retainOnDelete)`);
    }
    try {
      const result = await cleanUp(
        deps.janitor,
        { endpointName: EndpointName, namePrefix: NamePrefix },
        {
          log: deps.log,
          sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          pollMs: 15_000,
          maxPolls: 48,
        },
      );
      return reply('SUCCESS', 'deleted', { models: result.modelsDeleted.length, endpointConfigs: result.endpointConfigsDeleted.length });
    } catch (e) {
      deps.log.error('clean-up failed', { error: (e as Error).message });
      return reply('FAILED', `clean-up of ${EndpointName} failed: ${(e as Error).message}`.slice(0, 1000));
    }
  };
}

/** The handler as deployed, over the given SDK clients (the offline cloud passes local ones). */
export const handlerWith = (c: { sageMaker: SageMakerClient }, respond: Responder = httpResponder) =>
  createHandler({ janitor: sageMakerJanitor(c.sageMaker), respond, log: createLogger('endpoint-cleanup') });

export const handler = handlerWith({ sageMaker: traced(new SageMakerClient({})) });
