import { PlatformError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import type { CaptureLocation } from '../shared/capture-layout';
import { agreementOf, type ProblemType, readCapture } from './capture';
import { type Comparison, compareVariants, type PromotionRules, type VariantMetrics } from './compare';
import { PRODUCTION_VARIANT, SHADOW_VARIANT } from '../shared/names';
import { type DeploymentPlan, EndpointBusyError, type EndpointState, type LivePackage, planDeployment, type Variant, type VariantSettings } from './plan';

/** The model package is not (or no longer) Approved, or belongs to another group: nothing is deployed. */
export class PackageNotDeployableError extends PlatformError {}

/** The SageMaker reads the deployment needs; `undefined` when the endpoint does not exist. */
export interface SageMakerReader {
  describeModelPackage(arn: string): Promise<{ group?: string; version?: number; approvalStatus?: string; status?: string }>;
  /** `instanceCounts`: each instance-based production variant's current instance count (auto-scaling changes it; the config does not say). */
  describeEndpoint(
    name: string,
  ): Promise<{ status: string; endpointConfigName: string; failureReason?: string; instanceCounts?: Record<string, number> } | undefined>;
  describeEndpointConfig(name: string): Promise<{ productionVariants: Variant[]; shadowVariants?: Variant[] }>;
  /** The package a model was created from (undefined for a model made otherwise). */
  describeModel(name: string): Promise<{ modelPackageName?: string }>;
}

/** CloudWatch numbers of one variant over a window (AWS/SageMaker, EndpointName + VariantName). */
export interface MetricsReader {
  variantMetrics(endpoint: string, variant: string, start: Date, end: Date): Promise<VariantMetrics>;
}

export interface RunningExecution {
  readonly executionArn: string;
  readonly startDate: Date;
}

export interface DeploymentEnv {
  readonly prefix: string;
  readonly endpointName: string;
  readonly modelPackageGroup: string;
  readonly settings: VariantSettings;
  readonly rules: PromotionRules;
  readonly problemType: ProblemType;
  readonly agreementTolerance: number;
  readonly capture: CaptureLocation;
}

/** The package the production variant serves now, read from its model: the truth, whatever the event said. */
async function livePackage(sm: SageMakerReader, endpoint: EndpointState): Promise<LivePackage | null> {
  if (!endpoint.exists) return null;
  const current = endpoint.productionVariants.find((v) => v.VariantName === PRODUCTION_VARIANT);
  if (!current) return null;
  const arn = (await sm.describeModel(current.ModelName)).modelPackageName;
  return arn ? { modelPackageArn: arn, version: arn.split('/').pop() ?? '' } : null;
}

/** Checks the package and reads the endpoint, then plans (throws EndpointBusyError while it is updating). */
export async function plan(
  sm: SageMakerReader,
  env: DeploymentEnv,
  input: { modelPackageArn: string; executionName: string },
  log: Logger,
): Promise<DeploymentPlan> {
  const pkg = await sm.describeModelPackage(input.modelPackageArn);
  if (pkg.group !== env.modelPackageGroup) {
    throw new PackageNotDeployableError(
      `model package ${input.modelPackageArn} belongs to group "${pkg.group ?? '(none)'}", not to this pipeline's "${env.modelPackageGroup}"`,
    );
  }
  if (pkg.approvalStatus !== 'Approved') {
    throw new PackageNotDeployableError(
      `model package ${input.modelPackageArn} is ${pkg.approvalStatus ?? 'without approval status'} now, not Approved: nothing was deployed`,
    );
  }
  const described = await sm.describeEndpoint(env.endpointName);
  let endpoint: EndpointState = { exists: false };
  if (described) {
    const variants = described.status === 'InService' ? (await sm.describeEndpointConfig(described.endpointConfigName)).productionVariants : [];
    const counts = described.instanceCounts ?? {};
    endpoint = {
      exists: true,
      status: described.status,
      endpointConfigName: described.endpointConfigName,
      // The capacity production has now, not the config's initial count: what a restore puts back.
      productionVariants: variants.map((v) =>
        counts[v.VariantName] !== undefined && v.InitialInstanceCount !== undefined ? { ...v, InitialInstanceCount: counts[v.VariantName] } : v,
      ),
      ...(described.failureReason ? { failureReason: described.failureReason } : {}),
    };
  }
  const result = planDeployment({
    prefix: env.prefix,
    endpointName: env.endpointName,
    packageVersion: String(pkg.version ?? 0),
    executionName: input.executionName,
    settings: env.settings,
    endpoint,
    live: await livePackage(sm, endpoint),
    modelPackageArn: input.modelPackageArn,
  });
  log.info('deployment planned', {
    mode: result.mode,
    modelName: result.modelName,
    currentConfig: result.currentConfigName,
    live: result.live?.modelPackageArn,
  });
  return result;
}

/** Reads the shadow window's evidence and applies the promotion rules. */
export async function compare(
  metrics: MetricsReader,
  store: ObjectStore,
  env: DeploymentEnv,
  input: { start: string; end: string },
  log: Logger,
): Promise<Comparison & { window: { start: string; end: string } }> {
  const start = new Date(input.start);
  const end = new Date(input.end);
  const [production, shadow] = await Promise.all([
    metrics.variantMetrics(env.endpointName, PRODUCTION_VARIANT, start, end),
    metrics.variantMetrics(env.endpointName, SHADOW_VARIANT, start, end),
  ]);
  let agreement: ReturnType<typeof agreementOf> | undefined;
  if (env.rules.minAgreement !== undefined) {
    const [p, s] = await Promise.all([
      readCapture(store, env.capture, PRODUCTION_VARIANT, start, end, 50),
      readCapture(store, env.capture, SHADOW_VARIANT, start, end, 50),
    ]);
    agreement = agreementOf(p.records, s.records, env.problemType, env.agreementTolerance);
    log.info('capture read', { productionFiles: p.files, shadowFiles: s.files, skippedLines: p.skipped + s.skipped, pairs: agreement.pairs });
  }
  const result = compareVariants(production, shadow, agreement, env.rules);
  log.info('shadow compared', { decision: result.decision, basis: result.basis, reasons: result.reasons });
  return { ...result, window: { start: start.toISOString(), end: end.toISOString() } };
}

/**
 * One deployment per endpoint: of the running executions of the deployment workflow, the one
 * that started first (ties: the smaller ARN) goes; the others wait their turn.
 */
export function firstInLine(self: RunningExecution, running: readonly RunningExecution[]): RunningExecution {
  const all = [self, ...running.filter((r) => r.executionArn !== self.executionArn)];
  return all.reduce((a, b) => (b.startDate < a.startDate || (b.startDate.getTime() === a.startDate.getTime() && b.executionArn < a.executionArn) ? b : a));
}

export function takeTurn(self: RunningExecution, running: readonly RunningExecution[], attempt: number, maxAttempts: number) {
  const first = firstInLine(self, running);
  const proceed = first.executionArn === self.executionArn;
  return { proceed, attempt: attempt + 1, blockedBy: proceed ? null : first.executionArn, exhausted: !proceed && attempt + 1 >= maxAttempts };
}

/** What a failed deployment must do to leave production as it was. */
export interface RecoveryCheck {
  /** Production does not serve the previous model alone: put the production-only config back. */
  readonly restore: boolean;
  /** The endpoint's config is no longer the one the deployment began with. */
  readonly changed: boolean;
  /** The models the endpoint serves now (production, then shadow), for the e-mail. */
  readonly serving: string[];
  /**
   * The restore keeps the production variant's current properties (RetainAllVariantProperties)
   * when it still runs the previous model: auto-scaling may have changed its count since the plan.
   * Once a promotion replaced it, the restore config's count applies: the capacity production had
   * when the deployment began.
   */
  readonly retain: boolean;
}

/**
 * After a failure: reads the endpoint as it is now (waits while it is updating, like the plan)
 * and says whether production must be restored to the model it served before the deployment.
 */
export async function checkRecovery(
  sm: SageMakerReader,
  env: DeploymentEnv,
  before: { currentModelName: string; currentConfigName: string },
  log: Logger,
): Promise<RecoveryCheck> {
  const described = await sm.describeEndpoint(env.endpointName);
  if (!described) throw new PlatformError(`endpoint ${env.endpointName} is gone: production cannot be restored`);
  if (['Creating', 'Updating', 'SystemUpdating', 'RollingBack'].includes(described.status)) {
    throw new EndpointBusyError(`endpoint ${env.endpointName} is ${described.status}; the recovery waits for it`);
  }
  const config = await sm.describeEndpointConfig(described.endpointConfigName);
  const serving = [...config.productionVariants, ...(config.shadowVariants ?? [])].map((v) => v.ModelName);
  const productionOnly = config.productionVariants.length === 1 && (config.shadowVariants ?? []).length === 0;
  const restore = described.status !== 'InService' || !productionOnly || config.productionVariants[0]!.ModelName !== before.currentModelName;
  const retain = config.productionVariants.some((v) => v.VariantName === PRODUCTION_VARIANT && v.ModelName === before.currentModelName);
  const result = { restore, changed: described.endpointConfigName !== before.currentConfigName, serving, retain };
  log.warn('recovery checked', { ...result, status: described.status });
  return result;
}
