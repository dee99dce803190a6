import { type App, DefaultStackSynthesizer, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { dataStackName, pipelineStackName } from './config/naming';
import type { PlatformConfig } from './config/schema';
import { pipelinesOf } from './config/stages';
import { controlTowerChecks } from './control-tower';
import { applyOrganizationIam } from './organization-iam';
import { functionsInVpc } from './vpc-mode';
import { DataStack } from './stacks/data-stack';
import { PipelineStack } from './stacks/pipeline-stack';

export interface PlatformStacks {
  readonly data: DataStack;
  readonly pipelines: PipelineStack[];
}

/** Instantiates, per stage, the data stack and one stack per pipeline (data → pipeline only). */
export function buildPlatform(app: App, config: PlatformConfig, options: { nag?: boolean; controlTower?: boolean } = {}): Map<string, PlatformStacks> {
  const stages = new Map<string, PlatformStacks>();
  for (const stage of config.stages) {
    const env = stage.account || stage.region ? { account: stage.account, region: stage.region } : undefined;
    // An account bootstrapped with `cdk bootstrap --qualifier <q>` (cdk.qualifier): each stack its own synthesizer.
    const synthesizer = () => (config.cdk.qualifier ? { synthesizer: new DefaultStackSynthesizer({ qualifier: config.cdk.qualifier }) } : {});
    const data = new DataStack(app, dataStackName(config.project, stage.name), {
      config,
      stage,
      env,
      ...synthesizer(),
      description: `${config.project} ${stage.name}: KMS key, data buckets and notifications (MLOps platform)`,
    });
    const pipelines = pipelinesOf(config, stage).map((pipeline) => {
      const stack = new PipelineStack(app, pipelineStackName(config.project, stage.name, pipeline.name), {
        config,
        stage,
        pipeline,
        env,
        ...synthesizer(),
        description: `${config.project} ${stage.name}: pipeline ${pipeline.name} (trigger, training workflow, model registry)`,
      });
      stack.addStackDependency(data);
      return stack;
    });
    for (const stack of [data, ...pipelines]) {
      Tags.of(stack).add('mlops:project', config.project);
      Tags.of(stack).add('mlops:stage', stage.name);
    }
    // VPC mode (stages[].network): every function of the stage's stacks in its subnets.
    if (stage.network) for (const stack of [data, ...pipelines]) functionsInVpc(stack, stage.network);
    stages.set(stage.name, { data, pipelines });
  }
  applyOrganizationIam(
    app,
    [...stages.values()].flatMap((st) => [st.data, ...st.pipelines]),
    config.iam,
  );
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // AWS Control Tower's proactive controls (README "Deploying into a landing zone"): -c controlTower=true.
  if (options.controlTower) Validations.of(app).addPlugins(controlTowerChecks(app, { everyStageInVpc: config.stages.every((s) => s.network) }));
  return stages;
}
