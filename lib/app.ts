import { existsSync, readFileSync } from 'node:fs';
import { Annotations, type App, DefaultStackSynthesizer, type Stack, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from './config/load';
import { dataStackName, networkStackName, pipelineStackName } from './config/naming';
import type { PlatformConfig } from './config/schema';
import { pipelinesOf } from './config/stages';
import { controlTowerChecks } from './control-tower';
import { applyOrganizationIam } from './organization-iam';
import { functionsInVpc } from './vpc-mode';
import { type StageNetwork, stageNetwork } from './vpc-network';
import { DataStack } from './stacks/data-stack';
import { NetworkStack } from './stacks/network-stack';
import { PipelineStack } from './stacks/pipeline-stack';

export interface PlatformStacks {
  /** The stage's VPC endpoints, when the app creates them (`stages[].network.endpoints`). */
  readonly network?: NetworkStack;
  readonly data: DataStack;
  readonly pipelines: PipelineStack[];
}

/** A stage's stacks in deploy order: the network stack if any, the data stack, the pipelines. */
export const stacksOf = (stage: PlatformStacks): Stack[] => [...(stage.network ? [stage.network] : []), stage.data, ...stage.pipelines];

/**
 * What the CDK CLI gives the app from cdk.context.json (the lookups it made, e.g. a stage's VPC):
 * the offline tools read it the same way, from the working directory.
 */
export function cdkContextFile(file = 'cdk.context.json'): Record<string, unknown> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

export interface BuildOptions {
  readonly nag?: boolean;
  readonly controlTower?: boolean;
  /**
   * Fail, naming the field, when a stage's VPC is not in the app's context (cdk.context.json). Set by
   * the offline tools; not by the app, which the CDK CLI runs again once it has looked the VPC up.
   */
  readonly requireLookups?: boolean;
}

/** Instantiates, per stage, the data stack and one stack per pipeline (data → pipeline only), after the network stack if any. */
export function buildPlatform(app: App, config: PlatformConfig, options: BuildOptions = {}): Map<string, PlatformStacks> {
  const stages = new Map<string, PlatformStacks>();
  const problems: string[] = [];
  const inVpc = new Set<string>();
  for (const [i, stage] of config.stages.entries()) {
    const env = stage.account || stage.region ? { account: stage.account, region: stage.region } : undefined;
    // An account bootstrapped with `cdk bootstrap --qualifier <q>` (cdk.qualifier): each stack its own synthesizer.
    const synthesizer = () => (config.cdk.qualifier ? { synthesizer: new DefaultStackSynthesizer({ qualifier: config.cdk.qualifier }) } : {});
    const field = `stages[${i}].network`;
    const networkStack = stage.network?.endpoints
      ? new NetworkStack(app, networkStackName(config.project, stage.name), {
          network: stage.network,
          field,
          env,
          ...synthesizer(),
          description: `${config.project} ${stage.name}: VPC endpoints of the stage's functions and SageMaker jobs (MLOps platform)`,
        })
      : undefined;
    const data = new DataStack(app, dataStackName(config.project, stage.name), {
      config,
      stage,
      env,
      ...synthesizer(),
      description: `${config.project} ${stage.name}: KMS key, data buckets and notifications (MLOps platform)`,
    });
    if (networkStack) data.addStackDependency(networkStack);
    let network: StageNetwork | undefined;
    if (networkStack) {
      network = networkStack.network;
      problems.push(...networkStack.problems);
    } else if (stage.network) {
      const found = stageNetwork(data, stage.network, field);
      network = found.network;
      problems.push(...found.problems);
    }
    // Until the CLI has looked the VPC up (cdk.context.json), the stage synthesizes outside it: the CLI synthesizes again.
    const settings = network && !network.placeholder ? network.settings : undefined;
    if (settings) inVpc.add(stage.name);
    if (network?.placeholder) {
      const missing = `${field}.vpcId: expected ${stage.network?.vpcId} in cdk.context.json: run \`npx cdk synth\` once with credentials for account ${stage.account}, or add its entry (README "Deploying into a landing zone")`;
      if (options.requireLookups) problems.push(missing);
      // Seen only if this assembly is deployed as it is (the CDK CLI discards it and synthesizes again with the VPC).
      else Annotations.of(data).addWarningV2('mlops:vpcNotLookedUp', `${missing}. Until then the stage is synthesized outside its VPC.`);
    }
    const pipelines = pipelinesOf(config, stage).map((pipeline) => {
      const stack = new PipelineStack(app, pipelineStackName(config.project, stage.name, pipeline.name), {
        config,
        stage,
        pipeline,
        network: settings,
        env,
        ...synthesizer(),
        description: `${config.project} ${stage.name}: pipeline ${pipeline.name} (trigger, training workflow, model registry)`,
      });
      stack.addStackDependency(data);
      return stack;
    });
    for (const stack of stacksOf({ network: networkStack, data, pipelines })) {
      Tags.of(stack).add('mlops:project', config.project);
      Tags.of(stack).add('mlops:stage', stage.name);
    }
    // VPC mode (stages[].network): every function of the stage's stacks in its subnets.
    if (settings) for (const stack of [data, ...pipelines]) functionsInVpc(stack, settings);
    stages.set(stage.name, { network: networkStack, data, pipelines });
  }
  if (problems.length > 0) throw new ConfigError('config, with the VPCs of cdk.context.json', problems);
  applyOrganizationIam(app, [...stages.values()].flatMap(stacksOf), config.iam);
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // AWS Control Tower's proactive controls (README "Deploying into a landing zone"): -c controlTower=true.
  if (options.controlTower) {
    const outsideVpc = config.stages.filter((s) => !inVpc.has(s.name)).flatMap((s) => stacksOf(stages.get(s.name)!));
    Validations.of(app).addPlugins(controlTowerChecks(app, { someStageInVpc: inVpc.size > 0, outsideVpc }));
  }
  return stages;
}
