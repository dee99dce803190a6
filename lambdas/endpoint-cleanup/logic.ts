import type { Logger } from '../shared/logger';

/** The SageMaker calls clean-up needs (names only; pagination is the adapter's job). */
export interface SageMakerJanitor {
  endpointExists(name: string): Promise<boolean>;
  deleteEndpoint(name: string): Promise<void>;
  endpointConfigs(nameContains: string): Promise<string[]>;
  deleteEndpointConfig(name: string): Promise<void>;
  models(nameContains: string): Promise<string[]>;
  deleteModel(name: string): Promise<void>;
}

export interface CleanupResult {
  readonly endpointDeleted: boolean;
  readonly endpointConfigsDeleted: string[];
  readonly modelsDeleted: string[];
}

/**
 * Deletes what the deployment workflow created at run time: the endpoint, then (once it is
 * gone, so no config is in use) every endpoint config and model named `<prefix>--…`.
 * Bounded: gives up with an error after `maxPolls` checks of the endpoint.
 */
export async function cleanUp(
  sm: SageMakerJanitor,
  target: { endpointName: string; namePrefix: string },
  deps: { log: Logger; sleep: (ms: number) => Promise<void>; pollMs: number; maxPolls: number },
): Promise<CleanupResult> {
  let endpointDeleted = false;
  if (await sm.endpointExists(target.endpointName)) {
    await sm.deleteEndpoint(target.endpointName);
    endpointDeleted = true;
    let polls = 0;
    while (await sm.endpointExists(target.endpointName)) {
      if (++polls >= deps.maxPolls)
        throw new Error(
          `endpoint ${target.endpointName} is still deleting after ${polls} checks; delete its configs and models (${target.namePrefix}*) by hand`,
        );
      await deps.sleep(deps.pollMs);
    }
    deps.log.info('endpoint deleted', { endpoint: target.endpointName, polls });
  }
  const owned = (name: string) => name.startsWith(target.namePrefix);
  const configs = (await sm.endpointConfigs(target.namePrefix)).filter(owned);
  for (const c of configs) await sm.deleteEndpointConfig(c);
  const models = (await sm.models(target.namePrefix)).filter(owned);
  for (const m of models) await sm.deleteModel(m);
  deps.log.info('runtime resources deleted', { endpointDeleted, configs: configs.length, models: models.length });
  return { endpointDeleted, endpointConfigsDeleted: configs, modelsDeleted: models };
}
