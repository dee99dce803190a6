import { configProblems } from '../helpers/config-problems';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { loadConfig, parseConfig } from '../../lib/config/load';
import { pipelineSchema } from '../../lib/config/schema';
import { pipelinesOf } from '../../lib/config/stages';
import { stateMachines } from '../../offline/cfn';
import { synthPlatform } from '../../offline/synth';
import { normalizeTemplate } from '../helpers/normalize';

/** Per-stage settings (#19 item 4): `stages[].overrides` deep-merged into every pipeline of that stage only. */
const twoStages = (prodOverrides?: Record<string, unknown>) => ({
  stages: [{ name: 'dev' }, { name: 'prod', autoApprove: false, ...(prodOverrides ? { overrides: prodOverrides } : {}) }],
});
const PROD = { training: { instanceType: 'ml.m5.2xlarge', instanceCount: 2 }, evaluation: { threshold: 0.95 }, deployment: { instanceCount: 3 } };

const problemsOf = configProblems;

describe('stage overrides', () => {
  it("give prod larger instances and a stricter gate, leaving dev's pipelines as configured", () => {
    const c = parseConfig({ ...DEFAULT_CONFIG, ...twoStages(PROD) });
    const [dev, prod] = c.stages.map((s) => pipelinesOf(c, s)[0]!);
    expect(dev).toEqual(c.pipelines[0]);
    expect(prod!.training).toMatchObject({ instanceType: 'ml.m5.2xlarge', instanceCount: 2 });
    expect(prod!.evaluation.threshold).toBe(0.95);
    expect(prod!.deployment.instanceCount).toBe(3);
    expect(prod!.schema).toEqual(dev!.schema);
  });

  it("change only that stage's templates", () => {
    const withOverrides = synthPlatform(twoStages(PROD));
    const without = synthPlatform(twoStages());
    const template = (s: ReturnType<typeof synthPlatform>, stage: string) => s.template(s.stages.get(stage)!.pipelines[0]!);
    expect(normalizeTemplate(template(withOverrides, 'dev').toJSON())).toEqual(normalizeTemplate(template(without, 'dev').toJSON()));
    expect(normalizeTemplate(template(withOverrides, 'prod').toJSON())).not.toEqual(normalizeTemplate(template(without, 'prod').toJSON()));
    const train = (s: ReturnType<typeof synthPlatform>, stage: string) =>
      stateMachines(template(s, stage))[0]!.definition.States.Train.Parameters.ResourceConfig;
    expect(train(withOverrides, 'prod')).toMatchObject({ InstanceType: 'ml.m5.2xlarge', InstanceCount: 2 });
    expect(train(withOverrides, 'dev')).toMatchObject({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1 });
  });

  it('are validated like pipelines, naming the stage, the field and the pipeline', () => {
    expect(problemsOf({ ...DEFAULT_CONFIG, ...twoStages({ training: { instanceType: 'ml.m5.2xlarg' } }) })).toEqual([
      'stages[1].overrides.training.instanceType: expected a SageMaker training instance type, such as "ml.m5.2xlarge" (the nearest), got "ml.m5.2xlarg" (in pipeline breast-cancer)',
    ]);
    expect(problemsOf({ ...DEFAULT_CONFIG, ...twoStages({ trainng: {} }) })).toEqual([
      "stages[1].overrides.trainng: unknown field (check the spelling against the README's config reference) (in pipeline breast-cancer)",
    ]);
  });

  it('refuse a stage-wide gate threshold for pipelines that use different metrics (a 0.9 would be an RMSE of 0.9)', () => {
    const two = loadConfig({ file: 'examples/two-models-two-stages.json' });
    const input = { ...two, stages: [two.stages[0], { ...two.stages[1], overrides: { evaluation: { threshold: 0.9 } } }] };
    expect(problemsOf(input)).toEqual([
      'stages[1].overrides.evaluation: applies to every pipeline of the stage, and they use different metrics (churn: f1, house-prices: rmse): set thresholds in each pipeline instead',
    ]);
  });

  it('report a bad field in an override that also sets a threshold as a config problem, not a crash', () => {
    expect(problemsOf({ ...DEFAULT_CONFIG, ...twoStages({ evaluation: { threshold: 0.9, instanceType: 'ml.m5.larg' } }) })).toEqual([
      'stages[1].overrides.evaluation.instanceType: expected a SageMaker processing instance type, such as "ml.m5.large" (the nearest), got "ml.m5.larg" (in pipeline breast-cancer)',
    ]);
  });

  it("cannot change a pipeline's name or data schema", () => {
    expect(problemsOf({ ...DEFAULT_CONFIG, ...twoStages({ schema: { label: 'x' } }) })).toEqual([
      "stages[1].overrides.schema: a stage cannot change a pipeline's schema (it is the same in every stage)",
    ]);
  });

  it('rest on a pipeline schema that accepts its own output (a parsed pipeline parses to itself)', () => {
    for (const file of [undefined, 'examples/single-model.json', 'examples/two-models-two-stages.json']) {
      for (const p of loadConfig(file ? { file } : {}).pipelines) expect(pipelineSchema.parse(p)).toEqual(p);
    }
  });
});
