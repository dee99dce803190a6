/**
 * What a config deploys that costs money by the month, counted in its synthesized templates:
 * KMS keys, CloudWatch alarms (by billed alarm metric), dashboards, Scheduler schedules and VPC
 * interface endpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { buildPlatform, cdkContextFile, type PlatformStacks } from '../../lib/app';
import type { PlatformConfig } from '../../lib/config/schema';
import { FEATURE_FLAGS } from '../../lib/feature-flags';

/** One EventBridge Scheduler schedule. */
export interface ScheduleCount {
  readonly expression: string;
  readonly enabled: boolean;
}

/** The billable monitoring resources of one stack. */
export interface StackInventory {
  readonly kmsKeys: number;
  /** Metrics of standard-resolution alarms that name their metric directly (the ones the free tier covers). */
  readonly directAlarmMetrics: number;
  /** Metrics inside metric-math alarms (each is billed; the free tier leaves them out). */
  readonly mathAlarmMetrics: number;
  readonly dashboards: number;
  readonly schedules: readonly ScheduleCount[];
  /** Interface VPC endpoints, each counted once per availability zone (subnet) it is in: billed by the hour each. */
  readonly endpointAzs: number;
}

/** One stage: its network stack (VPC endpoints) if any, its data stack, and each pipeline's stack by pipeline name. */
export interface StageInventory {
  readonly network?: StackInventory;
  readonly data: StackInventory;
  readonly pipelines: Readonly<Record<string, StackInventory>>;
}

type Resource = { readonly Type: string; readonly Properties?: Record<string, unknown> };

/** Counts one template's resources. */
export function countResources(template: { readonly Resources?: Record<string, Resource> }): StackInventory {
  const resources = Object.values(template.Resources ?? {});
  const ofType = (type: string) => resources.filter((r) => r.Type === type);
  const alarms = ofType('AWS::CloudWatch::Alarm').map((a) => a.Properties ?? {});
  const mathMetrics = (metrics: unknown) => (metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat !== undefined).length;
  return {
    kmsKeys: ofType('AWS::KMS::Key').length,
    directAlarmMetrics: alarms.filter((a) => a.Metrics === undefined).length,
    mathAlarmMetrics: alarms.reduce((n, a) => n + (a.Metrics === undefined ? 0 : mathMetrics(a.Metrics)), 0),
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    schedules: ofType('AWS::Scheduler::Schedule').map((s) => ({
      expression: String(s.Properties?.ScheduleExpression),
      enabled: s.Properties?.State !== 'DISABLED',
    })),
    endpointAzs: ofType('AWS::EC2::VPCEndpoint')
      .filter((e) => e.Properties?.VpcEndpointType === 'Interface')
      .reduce((n, e) => n + ((e.Properties?.SubnetIds as unknown[] | undefined)?.length ?? 0), 0),
  };
}

/** Counts each stage's stacks, given a way to get a stack's synthesized template. */
export function countStages(
  config: PlatformConfig,
  stages: ReadonlyMap<string, PlatformStacks>,
  templateOf: (stack: Stack) => { readonly Resources?: Record<string, Resource> },
): Map<string, StageInventory> {
  return new Map(
    config.stages.map((stage) => {
      const stacks = stages.get(stage.name)!;
      // buildPlatform makes one stack per pipeline, in the config's order.
      const pipelines = Object.fromEntries(stacks.pipelines.map((stack, i) => [config.pipelines[i]!.name, countResources(templateOf(stack))]));
      const network = stacks.network ? { network: countResources(templateOf(stacks.network)) } : {};
      return [stage.name, { ...network, data: countResources(templateOf(stacks.data)), pipelines }];
    }),
  );
}

/**
 * Synthesizes the platform for `config` (as `cdk synth` would, without cdk-nag and without the
 * synth-time validations: this counts, it does not check) and counts each stage's stacks.
 */
export function inventory(config: PlatformConfig): Map<string, StageInventory> {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-cost-'));
  try {
    const app = new App({ context: { ...cdkContextFile(), ...FEATURE_FLAGS }, outdir });
    const stages = buildPlatform(app, config, { nag: false, requireLookups: true });
    const assembly = app.synth({ skipValidation: true });
    return countStages(config, stages, (stack) => assembly.getStackArtifact(stack.artifactId).template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
