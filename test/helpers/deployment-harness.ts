import { ScalableTargets } from '../../offline/scalable-targets';
import { ExecutionError } from 'aws-local-stepfunctions';
import type { Template } from 'aws-cdk-lib/assertions';
import type { VariantMetrics } from '../../lambdas/deployment/compare';
import { createHandler as deploymentHandler } from '../../lambdas/deployment/handler';
import type { RunningExecution, SageMakerReader } from '../../lambdas/deployment/logic';
import type { Variant } from '../../lambdas/deployment/plan';
import { busLoop } from './lifecycle-loop';
import type { FormattedMessage } from '../../lambdas/notify/logic';
import { memoryLogger } from '../../lambdas/shared/logger';
import { offlineMachine } from '../../offline/iam/tasks';
import { MemoryObjectStore } from '../../offline/memory-store';
import { sdkIntegration, validateAwsRequest } from '../../offline/api-models';
import { functionEnv } from '../../offline/cfn';
import { localStateMachine } from '../../offline/state-machines';

type Json = Record<string, any>;
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';

/** A failure a stand-in raises `times` times (default: every time). */
export interface Injected {
  readonly error: string;
  readonly cause: string;
  readonly times?: number;
}

export interface DeploymentScenario {
  /** The endpoint before the run: absent, or serving `model`, made from `modelPackageArn` (default version 6), with `status` (default InService). */
  readonly endpoint?: {
    readonly model: string;
    readonly modelPackageArn?: string;
    readonly status?: string;
    readonly serverless?: boolean;
    /** Instances the production variant runs now (auto-scaling may have raised it above its config's 1). @default 1 */
    readonly instances?: number;
    /** Tags of its scalable target (registered by an earlier run). @default the pipeline's tags */
    readonly scalableTargetTags?: Record<string, string>;
  };
  /** DescribeEndpoint answers `Creating`/`Updating` this many times after each change. @default 1 */
  readonly pollsUntilInService?: number;
  /** The package's approval status when the workflow reads it. @default Approved */
  readonly approvalStatus?: string;
  readonly metrics?: { readonly production?: VariantMetrics; readonly shadow?: VariantMetrics };
  /** Capture JSONL files (key → text) in `captureBucket`. */
  readonly capture?: Record<string, string>;
  /** @default - the deployment Lambda's CAPTURE_BUCKET */
  readonly captureBucket?: string;
  /** Other running executions of the deployment workflow (for the one-at-a-time rule). */
  readonly running?: (attempt: number) => RunningExecution[];
  /** The endpoint ends `Failed` with this reason after the next change. */
  readonly endpointFailure?: string;
  /** SageMaker rolls the blue/green promotion back (an auto-rollback alarm fired). */
  readonly autoRollback?: boolean;
  /** States whose first call takes effect but whose answer is lost (a 5xx after the work was done): Step Functions sees an error and retries. */
  readonly lostResponses?: readonly string[];
  /** UpdateEndpoint calls (by state) that SageMaker accepts and then fails: the endpoint goes back InService on its old config, with this FailureReason. */
  readonly failedUpdates?: Readonly<Record<string, string>>;
  readonly failures?: Record<string, Injected>;
}

export interface DeploymentOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** Task state names in the order they ran (each retry counts). */
  readonly tasks: string[];
  readonly requests: { state: string; service: string; operation: string; params: Json }[];
  readonly notifications: FormattedMessage[];
  /** The lifecycle events announced during the run (e-mailed ones and the rest), in order. */
  readonly events: Json[];
  /** The endpoint after the run. */
  readonly endpoint?: { status: string; config: string };
  readonly configs: Map<string, Json>;
  /** Model package versions tagged mlops:live after the run. */
  readonly live: string[];
  /** The endpoint configs the endpoint went InService with during the run, in order. */
  readonly served: string[];
  /** Whether the production variant is registered with Application Auto Scaling after the run. */
  readonly scalingRegistered: boolean;
  /** Tags of its scalable target after the run. */
  readonly scalableTargetTags?: Record<string, string>;
  readonly packageStatus: string;
  /** Instances of the production variant at the end. */
  readonly instances: number;
}

/** The time every state "entered" in the local run: the shadow window starts and ends in this hour. */
export const SHADOW_TIME = '2026-11-22T11:30:00.000Z';

/** The default pipeline's tags (mlops:project, stage, pipeline), which its scalable target carries. */
export const PIPELINE_TAGS = { 'mlops:project': 'mlops', 'mlops:stage': 'dev', 'mlops:pipeline': 'breast-cancer' };

export const PACKAGE_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/mlops-dev-breast-cancer/7`;

/**
 * Runs the synthesized deployment workflow in aws-local-stepfunctions. Every AWS SDK task is
 * validated against its official API model, then answered by an in-memory SageMaker that
 * keeps models, endpoint configs, the endpoint (with Creating/Updating polls) and the model
 * package. Lambda tasks run the real deployment and notify handlers.
 */
export async function runDeploymentWorkflow(template: Template, scenario: DeploymentScenario = {}): Promise<DeploymentOutcome> {
  const offline = offlineMachine(template, 'ModelDeploymentWorkflow');
  const { definition } = offline;
  const deployEnv = functionEnv(template, 'deployment');
  const endpointName = deployEnv.ENDPOINT_NAME!;
  const tasks: string[] = [];
  const requests: DeploymentOutcome['requests'] = [];
  const notifications: FormattedMessage[] = [];
  const failuresLeft = new Map(Object.entries(scenario.failures ?? {}).map(([k, f]) => [k, f.times ?? Number.POSITIVE_INFINITY]));
  const polls = scenario.pollsUntilInService ?? 1;

  // The in-memory SageMaker.
  /** Every endpoint config the endpoint went InService with, in order. */
  const served: string[] = [];
  /** Application Auto Scaling: the production variant is registered when an endpoint exists, tagged as the pipeline's. */
  const scalableTargets = new ScalableTargets();
  const scalableId = `endpoint/${endpointName}/variant/primary`;
  if (scenario.endpoint && !scenario.endpoint.serverless) {
    scalableTargets.register({ ResourceId: scalableId, Tags: scenario.endpoint.scalableTargetTags ?? PIPELINE_TAGS });
  }
  /** Tags of resources: `<arn>|<key>` → value (the live marker of model packages). */
  const tags = new Map<string, string>(
    scenario.endpoint ? [[`${scenario.endpoint.modelPackageArn ?? PACKAGE_ARN.replace(/\/7$/, '/6')}|mlops:live`, endpointName]] : [],
  );
  /** Model name → the package it was created from. */
  const models = new Map<string, string | undefined>();
  const configs = new Map<string, Json>();
  let packageStatus = scenario.approvalStatus ?? 'Approved';
  let endpoint:
    | { status: string; config: string; pending?: string; pollsLeft: number; rollback?: boolean; failureReason?: string; retain?: boolean }
    | undefined;
  /** The production variant's instance count: an update sets it from its config unless it retains variant properties (or goes back). */
  let instances = scenario.endpoint?.instances ?? 1;
  if (scenario.endpoint) {
    models.set(scenario.endpoint.model, scenario.endpoint.modelPackageArn ?? PACKAGE_ARN.replace(/\/7$/, '/6'));
    const variant = scenario.endpoint.serverless
      ? { VariantName: 'primary', ModelName: scenario.endpoint.model, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }
      : { VariantName: 'primary', ModelName: scenario.endpoint.model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 };
    configs.set(`${endpointName}--c1-00000000-p`, { ProductionVariants: [variant] });
    endpoint = { status: scenario.endpoint.status ?? 'InService', config: `${endpointName}--c1-00000000-p`, pollsLeft: 0 };
  }
  const store = new MemoryObjectStore();
  for (const [key, text] of Object.entries(scenario.capture ?? {})) store.put(scenario.captureBucket ?? deployEnv.CAPTURE_BUCKET!, key, text);

  const fail = (name: string, message: string) => Object.assign(new Error(message), { name });
  const lost = new Set<string>();
  /** The task state whose request the in-memory SageMaker is answering. */
  let currentState = '';
  /** Time passes between two looks at the endpoint: an update in progress ends after `polls` looks, whoever looks. */
  const tick = () => {
    if (!endpoint?.pending || endpoint.pollsLeft-- > 0) return;
    if (!scenario.endpointFailure && !endpoint.rollback && !endpoint.retain) {
      const primary = configs.get(endpoint.pending)?.ProductionVariants.find((v: Json) => v.VariantName === 'primary');
      if (primary?.InitialInstanceCount !== undefined) instances = primary.InitialInstanceCount;
    }
    endpoint = scenario.endpointFailure
      ? { status: 'Failed', config: endpoint.config || endpoint.pending, pollsLeft: 0, failureReason: scenario.endpointFailure }
      : {
          status: 'InService',
          config: endpoint.rollback ? endpoint.config : endpoint.pending,
          pollsLeft: 0,
          ...(endpoint.rollback && endpoint.failureReason ? { failureReason: endpoint.failureReason } : {}),
        };
    if (endpoint.status === 'InService') served.push(endpoint.config);
  };
  const injected = (state: string) => {
    const left = failuresLeft.get(state) ?? 0;
    if (left <= 0) return;
    failuresLeft.set(state, left - 1);
    throw fail(scenario.failures![state]!.error, scenario.failures![state]!.cause);
  };

  const sdk: Record<string, (p: Json) => Json> = {
    createModel: (p) => {
      if (models.has(p.ModelName)) throw fail('SageMaker.AmazonSageMakerException', `Cannot create already existing model "${p.ModelName}"`);
      models.set(p.ModelName, p.PrimaryContainer?.ModelPackageName);
      return { ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${p.ModelName}` };
    },
    createEndpointConfig: (p) => {
      for (const v of [...p.ProductionVariants, ...(p.ShadowProductionVariants ?? [])]) {
        if (!models.has(v.ModelName)) throw fail('SageMaker.AmazonSageMakerException', `Could not find model "${v.ModelName}"`);
      }
      configs.set(p.EndpointConfigName, p);
      return { EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${p.EndpointConfigName}` };
    },
    createEndpoint: (p) => {
      if (endpoint) throw fail('SageMaker.AmazonSageMakerException', `Cannot create already existing endpoint "${p.EndpointName}"`);
      endpoint = { status: 'Creating', config: '', pending: p.EndpointConfigName, pollsLeft: polls };
      return { EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${p.EndpointName}` };
    },
    updateEndpoint: (p) => {
      if (endpoint?.status !== 'InService')
        throw fail(
          'SageMaker.AmazonSageMakerException',
          `Cannot update in-progress endpoint "${p.EndpointName}". (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)`,
        );
      if (!configs.has(p.EndpointConfigName))
        throw fail('SageMaker.AmazonSageMakerException', `Could not find endpoint configuration "${p.EndpointConfigName}"`);
      endpoint = {
        ...endpoint,
        status: 'Updating',
        pending: p.EndpointConfigName,
        pollsLeft: polls,
        retain: p.RetainAllVariantProperties === true,
        rollback: Boolean((scenario.autoRollback && p.DeploymentConfig) || scenario.failedUpdates?.[currentState]),
        ...(scenario.failedUpdates?.[currentState] ? { failureReason: scenario.failedUpdates[currentState] } : {}),
      };
      return { EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${p.EndpointName}` };
    },
    describeEndpoint: (p) => {
      if (!endpoint) throw fail('SageMaker.AmazonSageMakerException', `Could not find endpoint "${p.EndpointName}".`);
      tick();
      return {
        EndpointName: p.EndpointName,
        EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${p.EndpointName}`,
        EndpointStatus: endpoint.status,
        ...(endpoint.config ? { EndpointConfigName: endpoint.config } : {}),
        ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}),
      };
    },
    deleteEndpoint: (p) => {
      if (!endpoint) throw fail('SageMaker.AmazonSageMakerException', `Could not find endpoint "${p.EndpointName}".`);
      endpoint = undefined;
      return {};
    },
    updateModelPackage: (p) => {
      packageStatus = p.ModelApprovalStatus ?? packageStatus;
      return { ModelPackageArn: p.ModelPackageArn };
    },
    addTags: (p) => {
      for (const t of p.Tags) tags.set(`${p.ResourceArn}|${t.Key}`, t.Value);
      return {};
    },
    deleteTags: (p) => {
      for (const k of p.TagKeys) tags.delete(`${p.ResourceArn}|${k}`);
      return {};
    },
    registerScalableTarget: (p) => scalableTargets.register(p),
    tagResource: (p) => scalableTargets.tag(p),
    putScalingPolicy: (p) => scalableTargets.putScalingPolicy(p),
    deregisterScalableTarget: (p) => scalableTargets.deregister(p),
  };

  // The deployment Lambda's reads, through the same world (and the same API validation).
  const read = async (operation: string, params: Json) => {
    validateAwsRequest('sagemaker', operation, params);
    await offline.asFunction('deployment', 'sagemaker', operation, params);
    requests.push({ state: 'Plan', service: 'sagemaker', operation, params });
  };
  const reader: SageMakerReader = {
    async describeModelPackage(arn) {
      await read('DescribeModelPackage', { ModelPackageName: arn });
      return { group: 'mlops-dev-breast-cancer', version: 7, approvalStatus: packageStatus, status: 'Completed' };
    },
    async describeEndpoint(name) {
      await read('DescribeEndpoint', { EndpointName: name });
      tick();
      return endpoint ? { status: endpoint.status, endpointConfigName: endpoint.config, instanceCounts: { primary: instances } } : undefined;
    },
    async describeModel(name) {
      await read('DescribeModel', { ModelName: name });
      const pkg = models.get(name);
      return pkg ? { modelPackageName: pkg } : {};
    },
    async describeEndpointConfig(name) {
      await read('DescribeEndpointConfig', { EndpointConfigName: name });
      const c = configs.get(name)!;
      return { productionVariants: c.ProductionVariants as Variant[], shadowVariants: (c.ShadowProductionVariants ?? []) as Variant[] };
    },
  };
  let turnChecks = 0;
  const bus = busLoop(functionEnv(template, 'notify'), async (_t, m) => {
    notifications.push(m);
    return 'id';
  });
  const deploy = deploymentHandler(
    {
      sageMaker: reader,
      metrics: { variantMetrics: async (_e, variant) => (variant === 'shadow' ? scenario.metrics?.shadow : scenario.metrics?.production) ?? {} },
      store: offline.storeOf('deployment', store),
      running: async () => scenario.running?.(turnChecks++) ?? [],
      announce: bus.announceAs(deployEnv),
      log: memoryLogger(),
    },
    deployEnv,
  );
  const notify = bus.notify;

  const handlers: Record<string, (input: any) => Promise<any>> = {};
  const states = Object.entries(definition.States as Json);
  for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
    if (String(state.Resource).includes(':states:::aws-sdk:')) {
      const { service, operation } = sdkIntegration(state.Resource);
      handlers[name] = async (params) => {
        tasks.push(name);
        validateAwsRequest(service, operation, params);
        requests.push({ state: name, service, operation, params });
        injected(name);
        currentState = name;
        const answer = sdk[operation];
        if (!answer) throw new Error(`no stand-in for ${service}:${operation}`);
        const result = answer(params);
        if (scenario.lostResponses?.includes(name) && !lost.has(name)) {
          lost.add(name);
          throw fail('SageMaker.AmazonSageMakerException', 'We encountered an internal error. Please try again. (Status Code: 500)');
        }
        return result;
      };
    } else {
      const fn = String(state.Resource).endsWith('-deployment') ? deploy : notify;
      handlers[name] = async (input) => {
        tasks.push(name);
        injected(name);
        return fn(input);
      };
    }
  }

  const input = { modelPackageArn: PACKAGE_ARN, modelPackageGroup: 'mlops-dev-breast-cancer', version: 7, approvedBy: 'alice', approvalDescription: '' };
  const machine = localStateMachine(definition);
  const execution = machine.run(
    input as any,
    {
      overrides: {
        taskResourceLocalHandlers: offline.authorized(handlers, { scalableTargets }),
        waitTimeOverrides: Object.fromEntries(states.filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, 0])),
        retryIntervalOverrides: Object.fromEntries(states.filter(([, s]) => s.Type === 'Task').map(([n]) => [n, 0])),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:mlops-dev-breast-cancer-deployment:v7-abc`,
          Name: 'v7-abc',
          StartTime: '2026-11-22T10:00:00.000Z',
          Input: input,
        },
        // aws-local-stepfunctions does not fill $$.State; one fixed time stands for "when the state was entered".
        State: { EnteredTime: SHADOW_TIME, Name: 'unknown', RetryCount: 0 },
        StateMachine: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:mlops-dev-breast-cancer-deployment`, Name: 'mlops-dev-breast-cancer-deployment' },
      },
    } as any,
  );
  const base = {
    tasks,
    requests,
    notifications,
    events: bus.events,
    configs,
    served,
    get scalingRegistered() {
      return scalableTargets.get(scalableId) !== undefined;
    },
    get scalableTargetTags() {
      return scalableTargets.get(scalableId)?.tags;
    },
    get instances() {
      return instances;
    },
    get live() {
      return [...tags].filter(([k]) => k.endsWith('|mlops:live')).map(([k]) => k.split('|')[0]!);
    },
  };
  try {
    const output = (await execution.result) as Json;
    offline.assertNoDenials();
    return { status: 'SUCCEEDED', output, ...base, endpoint: endpoint && { status: endpoint.status, config: endpoint.config }, packageStatus };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    offline.assertNoDenials();
    const caught = e.cause as Error;
    return {
      status: 'FAILED',
      error: caught.name,
      cause: caught.message,
      ...base,
      endpoint: endpoint && { status: endpoint.status, config: endpoint.config },
      packageStatus,
    };
  }
}
