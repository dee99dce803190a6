import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems } from '../helpers/config-problems';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { ConfigError, loadConfig, parseConfig } from '../../lib/config/load';
import { deepMerge } from '../../lib/config/merge';
import { evaluationRule } from '../../lib/config/schema';
import { trainingHyperparameters } from '../../lib/config/training';
import { synthPlatform } from '../../offline/synth';
import { FEATURE_FLAGS, OWN_FLAGS } from '../../lib/feature-flags';

const withPipeline = (patch: Record<string, unknown>) => deepMerge(DEFAULT_CONFIG, { pipelines: [deepMerge(DEFAULT_CONFIG.pipelines[0], patch)] });

const problemsOf = configProblems;

describe('configuration', () => {
  it('parses the built-in defaults into one dev stage and one XGBoost pipeline', () => {
    const c = loadConfig();
    expect(c.project).toBe('mlops');
    expect(c.stages.map((s) => s.name)).toEqual(['dev']);
    expect(c.stages[0]).toMatchObject({ autoApprove: false, retainData: true, logRetentionDays: 365 });
    expect(c.pipelines).toHaveLength(1);
    expect(c.pipelines[0]).toMatchObject({ name: 'breast-cancer', training: { image: 'xgboost', instanceType: 'ml.m5.xlarge', spot: { enabled: false } } });
    expect(c.pipelines[0]!.dataset.settleSeconds).toBe(60);
  });

  it('names the path, the value and the nearest valid choice of a bad instance type', () => {
    const problems = problemsOf(withPipeline({ training: { instanceType: 'm5.large' } }));
    expect(problems).toEqual([
      'pipelines[0].training.instanceType: expected a SageMaker training instance type, such as "ml.m5.large" (the nearest), got "m5.large"',
    ]);
  });

  it.each([
    [
      'training',
      { training: { instanceType: 'ml.c5.2xlarg' } },
      'pipelines[0].training.instanceType: expected a SageMaker training instance type, such as "ml.c5.2xlarge" (the nearest), got "ml.c5.2xlarg"',
    ],
    [
      'processing',
      { preprocessing: { instanceType: 'ml.m5.larg' } },
      'pipelines[0].preprocessing.instanceType: expected a SageMaker processing instance type, such as "ml.m5.large" (the nearest), got "ml.m5.larg"',
    ],
    [
      'hosting',
      { deployment: { instanceType: 'ml.t3.mediun' } },
      'pipelines[0].deployment.instanceType: expected a SageMaker hosting instance type, such as "ml.t2.medium" (the nearest), got "ml.t3.mediun"',
    ],
    [
      'a hosting-only type for training',
      { training: { instanceType: 'ml.t2.medium' } },
      'pipelines[0].training.instanceType: expected a SageMaker training instance type, such as',
    ],
  ])('checks a %s instance type against the SageMaker API list at synth (#19)', (_, patch, message) => {
    const problems = problemsOf(withPipeline(patch));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(message), problems[0]).toBe(true);
    if (_ === 'a hosting-only type for training') expect(problems[0]).toMatch(/; "ml\.t2\.medium" is one for hosting only\), got "ml\.t2\.medium"$/);
  });

  it('reports every bad field at once, not only the first', () => {
    const problems = problemsOf(
      deepMerge(withPipeline({ training: { instanceCount: 0 }, dataset: { settleSeconds: -5 } }), {
        project: 'Bad Name',
        stages: [{ name: 'dev', region: 'xx-nowhere-1' }],
      }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['project', 'stages[0].region', 'pipelines[0].dataset.settleSeconds', 'pipelines[0].training.instanceCount']),
    );
    expect(problems.find((p) => p.startsWith('stages[0].region'))).toContain('got "xx-nowhere-1"');
  });

  it.each([
    ['a trailing comma', '{\n  "project": "mlops",\n}\n', 'line 3, column 1: "}"'],
    ['a missing comma', '{\n  "project": "mlops"\n  "stages": []\n}', 'line 3, column 3: "  \\"stages\\": []"'],
    ['a cut file', '{\n  "project": ', 'line 2, column 14'],
  ])('names the line and column of a JSON syntax error (%s), not only a character position (#19)', (_, text, where) => {
    const file = join(tmpdir(), `bad-config-${process.pid}-${where.length}.json`);
    writeFileSync(file, text);
    try {
      loadConfig({ file });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const [problem] = (e as ConfigError).problems;
      expect(problem).toMatch(/^not valid JSON: /);
      expect(problem).toContain(where);
      expect(problem).not.toMatch(/position \d+/);
    }
  });

  describe('pipelines by name: keeping or changing the defaults without re-typing them (#19 item 3)', () => {
    const load = (config: unknown) => {
      const file = join(tmpdir(), `pipelines-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(config));
      return loadConfig({ file });
    };
    const churn = { name: 'churn', schema: { columns: ['churned', 'tenure', 'spend'], label: 'churned', problemType: 'binary_classification' } };

    it('keeps a default pipeline named by a string, and adds a new one', () => {
      const c = load({ pipelines: ['breast-cancer', churn] });
      expect(c.pipelines.map((p) => p.name)).toEqual(['breast-cancer', 'churn']);
      expect(c.pipelines[0]).toEqual(loadConfig().pipelines[0]);
      expect(c.pipelines[1]!.schema.columns).toEqual(['churned', 'tenure', 'spend']);
    });

    it('merges an object over the default pipeline of the same name (it failed with "schema missing")', () => {
      const c = load({ pipelines: [{ name: 'breast-cancer', training: { instanceType: 'ml.m5.2xlarge' } }] });
      expect(c.pipelines).toHaveLength(1);
      expect(c.pipelines[0]!.training.instanceType).toBe('ml.m5.2xlarge');
      expect(c.pipelines[0]!.schema.columns).toEqual(loadConfig().pipelines[0]!.schema.columns);
    });

    it('lets a full pipeline (with its schema) replace the default of the same name, as before: an existing config keeps its meaning', () => {
      const own = { name: 'breast-cancer', schema: { columns: ['y', 'x'], label: 'y', problemType: 'regression' }, evaluation: { threshold: 5 } };
      const c = load({ pipelines: [own] });
      expect(c.pipelines[0]!.schema.columns).toEqual(['y', 'x']);
      expect(c.pipelines[0]!.evaluation.threshold).toBe(5);
      expect(c.pipelines[0]!.description).toBe('');
    });

    it('still replaces the defaults with a list of new pipelines, as before', () => {
      expect(load({ pipelines: [churn] }).pipelines.map((p) => p.name)).toEqual(['churn']);
    });

    it('the example that adds a pipeline keeps the default one as it is', () => {
      const c = loadConfig({ file: join(__dirname, '..', '..', 'examples', 'add-a-pipeline.json') });
      expect(c.pipelines.map((p) => p.name)).toEqual(['breast-cancer', 'churn']);
      expect(c.pipelines[0]).toEqual(loadConfig().pipelines[0]);
    });

    it('names a string that names no pipeline, and the ones there are', () => {
      expect(() => load({ pipelines: ['breast-cancr'] })).toThrow(/pipelines\[0\]: "breast-cancr" names no pipeline to keep \(there are: breast-cancer\)/);
    });
  });

  it('rejects a misspelled field instead of silently ignoring it', () => {
    expect(problemsOf(withPipeline({ training: { instnceType: 'ml.m5.large' } }))).toEqual([
      "pipelines[0].training.instnceType: unknown field (check the spelling against the README's config reference)",
    ]);
  });

  it('requires the label to be one of the columns', () => {
    const problems = problemsOf(withPipeline({ schema: { columns: ['a', 'b'], label: 'c' } }));
    expect(problems).toEqual(['pipelines[0].schema.label: expected one of the columns (a, b), got "c"']);
  });

  it('refuses a metric the problem type does not produce', () => {
    expect(problemsOf(withPipeline({ evaluation: { metric: 'rmse', threshold: 1 } }))[0]).toMatch(
      /^pipelines\[0\]\.evaluation\.metric: expected one of auc, accuracy/,
    );
  });

  it('requires a threshold for metrics without a safe default', () => {
    const p = withPipeline({ schema: { columns: ['y', 'x'], label: 'y', problemType: 'regression' }, evaluation: { metric: 'rmse' } }) as {
      pipelines: { evaluation: Record<string, unknown> }[];
    };
    delete p.pipelines[0]!.evaluation.threshold;
    expect(problemsOf(p)).toEqual(['pipelines[0].evaluation.threshold: expected a threshold for metric "rmse" (there is no safe default), but it is missing']);
  });

  it('requires spot maxWaitSeconds to cover maxRuntimeSeconds', () => {
    expect(problemsOf(withPipeline({ training: { maxRuntimeSeconds: 7200, spot: { enabled: true, maxWaitSeconds: 3600 } } }))).toEqual([
      'pipelines[0].training.spot.maxWaitSeconds: expected at least training.maxRuntimeSeconds (7200) when spot is enabled, got 3600',
    ]);
  });

  it('refuses duplicate pipeline names and the reserved name quarantine', () => {
    const base = DEFAULT_CONFIG.pipelines[0]!;
    const problems = problemsOf({ ...DEFAULT_CONFIG, pipelines: [base, base, { ...base, name: 'quarantine' }] });
    expect(problems).toEqual([
      'pipelines[1].name: expected a unique name, "breast-cancer" is repeated, got "breast-cancer"',
      'pipelines[2].name: "quarantine" is reserved for rejected datasets, got "quarantine"',
    ]);
  });

  it('requires a human approval in a stage that names an account, unless security.requireHumanApprovalInAccountStages is off (#13 item 10)', () => {
    const stages = [
      { name: 'dev', autoApprove: true },
      { name: 'prod', account: '123456789012', autoApprove: true },
    ];
    expect(problemsOf({ ...DEFAULT_CONFIG, stages })).toEqual([
      'stages[1].autoApprove: expected false: stage "prod" names account 123456789012, where a passing model must wait for a person (set security.requireHumanApprovalInAccountStages to false to let it deploy unreviewed), got true',
    ]);
    const allowed = parseConfig({ ...DEFAULT_CONFIG, stages, security: { requireHumanApprovalInAccountStages: false } });
    expect(allowed.stages.map((s) => s.autoApprove)).toEqual([true, true]);
    expect(parseConfig(DEFAULT_CONFIG).security.requireHumanApprovalInAccountStages).toBe(true);
  });

  it('promotes only from another stage of the config, without a cycle, in the same region, naming both accounts across accounts (#14)', () => {
    const stages = (...s: object[]) => problemsOf({ ...DEFAULT_CONFIG, stages: s });
    expect(stages({ name: 'dev' }, { name: 'prod', promoteFrom: 'stage' })).toEqual([
      'stages[1].promoteFrom: expected the name of another stage (dev), got "stage"',
    ]);
    expect(stages({ name: 'dev', promoteFrom: 'dev' })).toEqual(['stages[0].promoteFrom: expected the name of another stage (none), got "dev"']);
    expect(stages({ name: 'a', promoteFrom: 'b' }, { name: 'b', promoteFrom: 'a' })).toEqual([
      'stages[0].promoteFrom: stage "a" promotes from "b", which leads back to it: promotions cannot go round in a cycle, got "b"',
      'stages[1].promoteFrom: stage "b" promotes from "a", which leads back to it: promotions cannot go round in a cycle, got "a"',
    ]);
    expect(stages({ name: 'dev', region: 'eu-west-1' }, { name: 'prod', region: 'us-east-1', promoteFrom: 'dev' })).toEqual([
      'stages[1].promoteFrom: expected a stage in the same region: "dev" is in eu-west-1, "prod" in us-east-1, got "dev"',
    ]);
    expect(stages({ name: 'dev' }, { name: 'prod', account: '123456789012', promoteFrom: 'dev' })).toEqual([
      'stages[1].promoteFrom: stages "dev" and "prod" are in different accounts: both must name their account, which the grants between them name, got "dev"',
    ]);
    const ok = parseConfig({
      ...DEFAULT_CONFIG,
      stages: [
        { name: 'dev', account: '111111111111' },
        { name: 'prod', account: '222222222222', promoteFrom: 'dev' },
      ],
    });
    expect(ok.stages.map((s) => s.promoteFrom)).toEqual([undefined, 'dev']);
    // A chain is fine: staging promotes dev's models, prod promotes staging's.
    expect(
      parseConfig({ ...DEFAULT_CONFIG, stages: [{ name: 'dev' }, { name: 'staging', promoteFrom: 'dev' }, { name: 'prod', promoteFrom: 'staging' }] }).stages,
    ).toHaveLength(3);
  });

  it('keeps captured traffic at least as long as the longest drift-check window reads it', () => {
    const input = deepMerge(withPipeline({ monitoring: { windowHours: 168 } }), { stages: [{ name: 'dev', captureExpirationDays: 3 }] });
    expect(problemsOf(input)).toEqual([
      'stages[0].captureExpirationDays: expected at least 8 days: the drift check of pipeline "breast-cancer" reads 168 hours of captured traffic, got 3',
    ]);
    // A stage's overrides count too: they are what that stage's drift check reads.
    const overridden = { ...DEFAULT_CONFIG, stages: [{ name: 'dev', captureExpirationDays: 2, overrides: { monitoring: { windowHours: 168 } } }] };
    expect(problemsOf(overridden)).toEqual([
      'stages[0].captureExpirationDays: expected at least 8 days: the drift check of pipeline "breast-cancer" reads 168 hours of captured traffic, got 2',
    ]);
  });

  it('keeps SageMaker job names within 63 characters by bounding the resource prefix', () => {
    const problems = problemsOf(
      deepMerge(withPipeline({ name: 'a-very-long-pipeline-name-x' }), { project: 'long-project-x', stages: [{ name: 'staging1' }] }),
    );
    expect(problems.some((p) => /pipelines\[0\]\.name: (expected at most 24|expected "<project>-<stage>-<pipeline>" to fit 40)/.test(p))).toBe(true);
  });

  it('loads overrides from a JSON file and merges them over the defaults', () => {
    const file = join(tmpdir(), `cfg-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ project: 'acme', notifications: { emails: ['ml@example.com'] } }));
    const c = loadConfig({ file });
    expect(c.project).toBe('acme');
    expect(c.notifications.emails).toEqual(['ml@example.com']);
    expect(c.pipelines[0]!.name).toBe('breast-cancer');
  });

  it('names the file when it is not valid JSON', () => {
    const file = join(tmpdir(), `bad-${process.pid}.json`);
    writeFileSync(file, '{ "project": ');
    expect(() => loadConfig({ file })).toThrow(new RegExp(`Invalid configuration \\(${file.replace(/[.]/g, '\\.')}\\):\\n  - not valid JSON`));
  });

  it('names a missing file', () => {
    expect(() => loadConfig({ file: '/nonexistent/config.json' })).toThrow(/cannot read the file/);
  });

  it('derives the gate metric and direction from the problem type', () => {
    const input = withPipeline({ schema: { columns: ['y', 'x'], label: 'y', problemType: 'regression' } }) as { pipelines: Record<string, unknown>[] };
    input.pipelines[0]!.evaluation = { threshold: 3.5 };
    const c = parseConfig(input);
    expect(evaluationRule(c.pipelines[0]!)).toEqual({ metric: 'rmse', direction: 'minimize', threshold: 3.5, mustBeatChampion: false });
  });

  it('merges configured hyperparameters over the XGBoost defaults, as strings', () => {
    const c = parseConfig(withPipeline({ training: { hyperparameters: { max_depth: 8, eta: '0.1' } } }));
    expect(trainingHyperparameters(c.pipelines[0]!)).toMatchObject({ objective: 'binary:logistic', max_depth: '8', eta: '0.1', num_round: '200' });
  });

  it('deploys to one ml.m5.large instance with a one-hour shadow test and auto-scaling by default', () => {
    const d = loadConfig().pipelines[0]!.deployment;
    expect(d).toMatchObject({
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      dataCaptureSamplingPercent: 100,
      shadow: { windowMinutes: 60, samplingPercent: 100 },
      retainOnDelete: false,
    });
    expect(d.promotion).toMatchObject({
      minInvocations: 100,
      onInsufficientData: 'rollback',
      maxErrorRateIncrease: 0.01,
      maxLatencyIncreasePercent: 20,
      minAgreement: 0.95,
      bakeMinutes: 10,
    });
    expect(d.autoScaling).toEqual({ enabled: true, maxInstances: 4, targetInvocationsPerInstance: 1000 });
    expect(d.serverless).toBeUndefined();
  });

  it('names each bad deployment field with what it expects', () => {
    const problems = problemsOf(
      withPipeline({
        deployment: {
          instanceCount: 6,
          serverless: { memorySizeMb: 1500 },
          shadow: { windowMinutes: 1 },
          promotion: { onInsufficientData: 'maybe' },
          bogus: true,
        },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pipelines\[0\]\.deployment\.serverless\.memorySizeMb: expected one of 1024, 2048, 3072, 4096, 5120, 6144/),
        expect.stringMatching(/^pipelines\[0\]\.deployment\.shadow\.windowMinutes: /),
        expect.stringMatching(/^pipelines\[0\]\.deployment\.promotion\.onInsufficientData: /),
        "pipelines[0].deployment.bogus: unknown field (check the spelling against the README's config reference)",
      ]),
    );
  });

  it('turns the agreement check off with minAgreement: null, and the deployment Lambda gets no threshold', () => {
    const s = synthPlatform({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], deployment: { promotion: { minAgreement: null } } }] });
    const fn = Object.values(s.template(s.stages.get('dev')!.pipelines[0]!).findResources('AWS::Lambda::Function')).find(
      (f: any) => f.Properties.FunctionName === 'mlops-dev-breast-cancer-deployment',
    ) as any;
    const rules = JSON.parse(fn.Properties.Environment.Variables.DEPLOYMENT_SETTINGS).rules;
    expect(rules).not.toHaveProperty('minAgreement');
    expect(rules.minInvocations).toBe(100);
  });

  it('requires auto-scaling to allow at least the configured instance count', () => {
    expect(problemsOf(withPipeline({ deployment: { instanceCount: 6 } }))).toEqual([
      'pipelines[0].deployment.autoScaling.maxInstances: expected at least instanceCount (6) (not set, so its default applies)',
    ]);
  });
});

describe('CDK feature flags', () => {
  it("come from one place: the recommended set of this aws-cdk-lib and the platform's own, none from cdk.json", () => {
    const recommended = JSON.parse(readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;
    for (const [flag, value] of Object.entries(recommended)) if (!(flag in OWN_FLAGS)) expect(FEATURE_FLAGS[flag]).toEqual(value);
    expect(FEATURE_FLAGS['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
    expect(Object.keys(cdkJson.context ?? {}).filter((k) => k.startsWith('@aws-cdk/'))).toEqual([]);
  });
});
