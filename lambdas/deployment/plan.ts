import { createHash } from 'node:crypto';
import { PlatformError } from '../shared/errors';
import { PRODUCTION_VARIANT, SHADOW_VARIANT } from '../shared/names';

/**
 * What one deployment will do, decided from the endpoint as it is now and the pipeline's
 * deployment config. Pure: the handler feeds it SageMaker's Describe* answers.
 */

export interface VariantSettings {
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly serverless?: { readonly memorySizeMb: number; readonly maxConcurrency: number };
  readonly shadowSamplingPercent: number;
}

/** A ProductionVariant as CreateEndpointConfig takes it (only the fields the platform sets). */
export interface Variant {
  readonly VariantName: string;
  readonly ModelName: string;
  readonly InstanceType?: string;
  readonly InitialInstanceCount?: number;
  readonly InitialVariantWeight?: number;
  readonly ServerlessConfig?: { readonly MemorySizeInMB: number; readonly MaxConcurrency: number };
}

export type EndpointState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly status: string;
      readonly endpointConfigName: string;
      readonly productionVariants: readonly Variant[];
      readonly failureReason?: string;
    };

/** The model package production serves now, found from the endpoint's production variant. */
export interface LivePackage {
  readonly modelPackageArn: string;
  readonly version: string;
}

export interface DeploymentPlan {
  /**
   * `create`: no endpoint yet; `shadow`: test the new model beside production first; `replace`:
   * blue/green straight to the new model (serverless); `already-live`: production serves this
   * very package, so there is nothing to deploy (an event for an edit, or an approval sent again).
   */
  readonly mode: 'create' | 'shadow' | 'replace' | 'already-live';
  /** How the model goes live, for the notification. */
  readonly how: 'created' | 'promoted' | 'replaced';
  readonly endpointName: string;
  readonly modelName: string;
  readonly packageVersion: string;
  readonly instanceBased: boolean;
  readonly currentConfigName: string | null;
  readonly currentModelName: string | null;
  /** The package production serves before this deployment (null: no endpoint, or a model not made from a package). */
  readonly live: LivePackage | null;
  /** The version this deployment replaces, and whether it goes back to an earlier one (null when nothing is replaced). */
  readonly replaces: { readonly version: string; readonly earlier: boolean } | null;
  /** Endpoint configs this deployment may create; names are unique per deployment. */
  readonly configs: {
    readonly shadow: { readonly name: string; readonly productionVariants: readonly Variant[]; readonly shadowVariants: readonly Variant[] };
    readonly promote: { readonly name: string; readonly productionVariants: readonly Variant[] };
    readonly restore: { readonly name: string; readonly productionVariants: readonly Variant[] };
    /** The same production as `restore`, under a name of its own: what a failed deployment goes back to. */
    readonly recover: { readonly name: string; readonly productionVariants: readonly Variant[] };
  };
}

/** The endpoint is creating or updating: the deployment waits (Step Functions retries this error). */
export class EndpointBusyError extends PlatformError {}

/** The endpoint cannot take a deployment until a person acts (Failed, or not ours). */
export class EndpointUnusableError extends PlatformError {}

const BUSY = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting', 'UpdateRollbackFailed']);

/** `<prefix>--<kind><version>-<8 hex of the execution name>`: ≤ 63 characters, unique per deployment, matched by the IAM prefix. */
export function resourceName(prefix: string, kind: 'm' | 'c', version: string, executionName: string, suffix = ''): string {
  const hash = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return `${prefix}--${kind}${version}-${hash}${suffix}`;
}

export function variantFor(modelName: string, s: VariantSettings, name = PRODUCTION_VARIANT): Variant {
  return s.serverless
    ? { VariantName: name, ModelName: modelName, ServerlessConfig: { MemorySizeInMB: s.serverless.memorySizeMb, MaxConcurrency: s.serverless.maxConcurrency } }
    : { VariantName: name, ModelName: modelName, InstanceType: s.instanceType, InitialInstanceCount: s.instanceCount, InitialVariantWeight: 1 };
}

export function planDeployment(args: {
  readonly prefix: string;
  readonly endpointName: string;
  readonly packageVersion: string;
  readonly executionName: string;
  readonly settings: VariantSettings;
  readonly endpoint: EndpointState;
  /** What production serves now, from its variant's model (DescribeModel). */
  readonly live?: LivePackage | null;
  readonly modelPackageArn?: string;
}): DeploymentPlan {
  const { prefix, endpointName, packageVersion: v, executionName, settings, endpoint } = args;
  const live = args.live ?? null;
  const modelName = resourceName(prefix, 'm', v, executionName);
  const config = (suffix: string) => resourceName(prefix, 'c', v, executionName, suffix);
  const target = variantFor(modelName, settings);

  let current: Variant | undefined;
  if (endpoint.exists) {
    if (BUSY.has(endpoint.status)) throw new EndpointBusyError(`endpoint ${endpointName} is ${endpoint.status}; the deployment waits for InService`);
    if (endpoint.status !== 'InService') {
      throw new EndpointUnusableError(
        `endpoint ${endpointName} is ${endpoint.status}${endpoint.failureReason ? ` (${endpoint.failureReason})` : ''}; delete it (aws sagemaker delete-endpoint --endpoint-name ${endpointName}) and approve again`,
      );
    }
    current = endpoint.productionVariants.find((p) => p.VariantName === PRODUCTION_VARIANT);
    if (!current) {
      throw new EndpointUnusableError(
        `endpoint ${endpointName} has no "${PRODUCTION_VARIANT}" variant (it has ${endpoint.productionVariants.map((p) => p.VariantName).join(', ') || 'none'}); it was not made by this platform`,
      );
    }
  }
  const restoreVariant = current ? stripToRequest(current) : target;
  const alreadyLive = live !== null && args.modelPackageArn !== undefined && live.modelPackageArn === args.modelPackageArn;
  const mode = alreadyLive ? 'already-live' : !endpoint.exists ? 'create' : settings.serverless || current?.ServerlessConfig ? 'replace' : 'shadow';
  const shadowVariant: Variant = {
    ...variantFor(modelName, { ...settings, serverless: undefined }, SHADOW_VARIANT),
    InitialVariantWeight: settings.shadowSamplingPercent / 100,
  };
  return {
    mode,
    how: mode === 'create' ? 'created' : mode === 'shadow' || mode === 'already-live' ? 'promoted' : 'replaced',
    endpointName,
    modelName,
    packageVersion: v,
    instanceBased: !settings.serverless,
    currentConfigName: endpoint.exists ? endpoint.endpointConfigName : null,
    currentModelName: current?.ModelName ?? null,
    live,
    replaces: live && !alreadyLive ? { version: live.version, earlier: Number(v) < Number(live.version) } : null,
    configs: {
      shadow: { name: config('-s'), productionVariants: [restoreVariant], shadowVariants: [shadowVariant] },
      promote: { name: config('-p'), productionVariants: [target] },
      restore: { name: config('-r'), productionVariants: [restoreVariant] },
      recover: { name: config('-x'), productionVariants: [restoreVariant] },
    },
  };
}

/** A described variant reduced to the request fields the platform sets. */
function stripToRequest(v: Variant): Variant {
  const { VariantName, ModelName, InstanceType, InitialInstanceCount, InitialVariantWeight, ServerlessConfig } = v;
  return {
    VariantName,
    ModelName,
    ...(InstanceType !== undefined ? { InstanceType } : {}),
    ...(InitialInstanceCount !== undefined ? { InitialInstanceCount } : {}),
    ...(InitialVariantWeight !== undefined ? { InitialVariantWeight } : {}),
    ...(ServerlessConfig ? { ServerlessConfig: { MemorySizeInMB: ServerlessConfig.MemorySizeInMB, MaxConcurrency: ServerlessConfig.MaxConcurrency } } : {}),
  };
}
