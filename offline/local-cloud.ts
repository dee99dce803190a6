import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { onObjectCreated } from '../lambdas/dataset-trigger/logic';
import { sfnStarter } from '../lambdas/dataset-trigger/handler';
import { createHandler as deploymentHandler } from '../lambdas/deployment/handler';
import { createHandler as driftHandler } from '../lambdas/drift-check/handler';
import { createHandler as approvalHandler } from '../lambdas/model-approval/handler';
import { createHandler as notifyHandler } from '../lambdas/notify/handler';
import type { FormattedMessage } from '../lambdas/notify/logic';
import { createHandler as gateHandler } from '../lambdas/quality-gate/handler';
import { createHandler as retrainHandler } from '../lambdas/retrain/handler';
import { memoryLogger } from '../lambdas/shared/logger';
import { createHandler as validateHandler } from '../lambdas/validate-dataset/handler';
import { FUNCTION_NAMES, type FunctionName } from '../lib/constructs/lambda-bundles';
import { resolveCfn } from './cfn';
import { MemoryObjectStore } from './memory-store';
import { sdkIntegration, validateAwsRequest, validateSageMakerRequest } from './api-models';
import { functionEnv } from './cfn';
import { failure, LocalSageMaker } from './local-sagemaker';
import { matchesPattern } from './event-pattern';

type Json = Record<string, any>;
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const MAX_EXECUTIONS = 40;

/** Which handler under lambdas/ a function runs (functions are named `<prefix>-<handler>`). */
const handlerOf = (functionName: unknown): FunctionName | undefined =>
  typeof functionName === 'string' ? FUNCTION_NAMES.find((n) => functionName.endsWith(`-${n}`)) : undefined;

interface Execution { arn: string; name: string; machine: string; input: string; status: 'RUNNING' | 'SUCCEEDED' | 'FAILED'; startDate: Date; output?: Json; error?: string }

/**
 * SIMULATOR STAND-IN for the AWS account (test infrastructure, never deployed): S3 in memory,
 * EventBridge routing with the synthesized rules' event patterns, Step Functions by
 * aws-local-stepfunctions on the synthesized definitions, the real Lambda handlers with
 * in-memory clients, SNS captured, CloudWatch metrics and the drift alarm evaluated. Nothing
 * listens on a network; every queue is drained with a bound.
 */
export class LocalCloud {
  readonly store = new MemoryObjectStore();
  readonly notifications: FormattedMessage[] = [];
  readonly executions: Execution[] = [];
  readonly metrics: { namespace: string; name: string; value: number }[] = [];
  readonly sageMaker: LocalSageMaker;
  readonly env: Record<string, NodeJS.ProcessEnv> = {};
  /** Simulated time ahead of the wall clock (the story skips days). */
  offsetMs = 0;
  private readonly queue: Execution[] = [];
  private readonly handlers: Record<string, (event: any) => Promise<any>> = {};
  private alarmState = 'OK';

  constructor(private readonly template: Json, pipelineJson: unknown, private readonly log: (line: string) => void) {
    this.sageMaker = new LocalSageMaker(this.store, pipelineJson, (pkg) => this.putEvent(this.packageEvent(pkg)));
    for (const r of this.resources('AWS::Lambda::Function')) {
      const handler = handlerOf(r.Properties.FunctionName);
      if (handler) this.env[handler] = functionEnv(template, handler); // others are CDK's own helpers (code deployment)
    }
    this.wireLambdas();
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  private resources(type: string): Json[] {
    return Object.values(this.template.Resources as Record<string, Json>).filter((r) => r.Type === type);
  }

  /** The real handlers, each with in-memory clients and its synthesized environment. */
  private wireLambdas(): void {
    const publish = async (_topic: string, m: FormattedMessage) => {
      this.notifications.push(m);
      this.log(`  e-mail: ${m.subject}`);
      return `m-${this.notifications.length}`;
    };
    const sfn = {
      send: async (cmd: { constructor: { name: string }; input: Json }) => {
        if (cmd.constructor.name === 'StartExecutionCommand') return this.startExecution(cmd.input.stateMachineArn, cmd.input.name, cmd.input.input);
        if (cmd.constructor.name === 'ListExecutionsCommand') return { executions: this.executions.filter((e) => e.machine === cmd.input.stateMachineArn).map((e) => ({ executionArn: e.arn, name: e.name, status: e.status, startDate: e.startDate, stateMachineArn: e.machine })) };
        throw new Error(`no SFN stand-in for ${cmd.constructor.name}`);
      },
    } as any;
    const ssm = { send: async (cmd: { input: Json }) => ({ Parameter: { Name: cmd.input.Name, Value: this.parameters.get(cmd.input.Name) ?? 'none' } }) } as any;
    const e = this.env;
    const sm = this.sageMaker;
    const readModelPackage = async (arnValue: string) => {
      validateSageMakerRequest('DescribeModelPackage', { ModelPackageName: arnValue });
      const p = sm.packages.get(arnValue)!;
      return p;
    };
    this.handlers['dataset-trigger'] = (event) => onObjectCreated(event.detail.bucket.name, event.detail.object.key, { pipeline: e['dataset-trigger']!.PIPELINE_NAME!, landingBucket: e['dataset-trigger']!.LANDING_BUCKET!, store: this.store, starter: sfnStarter(sfn, e['dataset-trigger']!.STATE_MACHINE_ARN!), log: memoryLogger() });
    this.handlers['validate-dataset'] = validateHandler(this.store, e['validate-dataset']);
    this.handlers['quality-gate'] = gateHandler(this.store, {
      latestApproved: async (group, metric) => {
        const approved = [...sm.packages.values()].filter((p) => p.ModelPackageGroupName === group && p.ModelApprovalStatus === 'Approved').pop();
        return approved && { modelPackageArn: approved.ModelPackageArn, value: Number(approved.CustomerMetadataProperties[`metric:${metric}`]) };
      },
    }, e['quality-gate']);
    this.handlers.notify = notifyHandler(publish, e.notify);
    this.handlers['model-approval'] = approvalHandler({ sfn, publish, log: memoryLogger() }, e['model-approval']);
    this.handlers.retrain = retrainHandler({ sfn, ssm, publish, log: memoryLogger(), now: () => this.now() }, e.retrain);
    this.handlers.deployment = deploymentHandler(
      {
        sageMaker: {
          describeModelPackage: async (a) => {
            const p = await readModelPackage(a);
            return { group: p.ModelPackageGroupName, version: p.ModelPackageVersion, approvalStatus: p.ModelApprovalStatus, status: 'Completed' };
          },
          describeEndpoint: async (name) => {
            validateSageMakerRequest('DescribeEndpoint', { EndpointName: name });
            const ep = sm.endpoints.get(name);
            return ep && { status: ep.status, endpointConfigName: ep.config };
          },
          describeEndpointConfig: async (name) => (validateSageMakerRequest('DescribeEndpointConfig', { EndpointConfigName: name }), { productionVariants: sm.configs.get(name)!.ProductionVariants }),
        },
        metrics: {
          variantMetrics: async (endpoint, variant) => {
            const c = sm.endpoints.get(endpoint)?.counters.get(variant);
            if (!c || c.invocations === 0) return {};
            const sorted = [...c.latencyUs].sort((a, b) => a - b);
            return { invocations: c.invocations, errors: 0, p99LatencyUs: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] };
          },
        },
        store: this.store,
        running: async (smArn) => this.executions.filter((x) => x.machine === smArn && x.status === 'RUNNING').map((x) => ({ executionArn: x.arn, startDate: x.startDate })),
        log: memoryLogger(),
      },
      e.deployment,
    );
    this.handlers['drift-check'] = driftHandler(
      {
        sageMaker: {
          liveModel: async (endpoint) => {
            const ep = sm.endpoints.get(endpoint);
            return ep ? { modelName: sm.variants(endpoint).production.ModelName } : { none: `endpoint ${endpoint} does not exist yet` };
          },
          modelPackageOf: async (model) => sm.models.get(model)?.PrimaryContainer.ModelPackageName,
          lineageOf: async (a) => (await readModelPackage(a)).CustomerMetadataProperties.lineage,
        },
        store: this.store,
        publish: async (prefix, value) => this.putMetric('MLOps', 'DriftedFeatures', value, prefix),
        log: memoryLogger(),
      },
      e['drift-check'],
    );
  }

  readonly parameters = new Map<string, string>();

  /** EventBridge: every rule of the stack whose pattern matches gets the event (its target Lambda is invoked). */
  async putEvent(event: Json): Promise<void> {
    for (const rule of this.resources('AWS::Events::Rule')) {
      const pattern = JSON.parse(JSON.stringify(rule.Properties.EventPattern), (_k, v) => (v && typeof v === 'object' && (v.Ref || v['Fn::GetAtt'] || v['Fn::Join']) ? resolveCfn(v, this.template) : v));
      if (!matchesPattern(pattern, event)) continue;
      const target = rule.Properties.Targets[0].Arn['Fn::GetAtt'][0];
      await this.handlers[handlerOf(this.template.Resources[target].Properties.FunctionName)!]!(event);
    }
  }

  /** StartExecution: idempotent on (name, input); queued, run by drain(). */
  startExecution(machineArn: string, name: string, input: string): Json {
    const existing = this.executions.find((x) => x.machine === machineArn && x.name === name);
    if (existing) {
      if (existing.input === input && existing.status === 'RUNNING') return { executionArn: existing.arn, startDate: existing.startDate };
      throw Object.assign(new Error(`Execution ${name} already exists`), { name: 'ExecutionAlreadyExists' });
    }
    const x: Execution = { arn: `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`, name, machine: machineArn, input, status: 'RUNNING', startDate: this.now() };
    this.executions.push(x);
    this.queue.push(x);
    return { executionArn: x.arn, startDate: x.startDate };
  }

  /** Runs queued executions (and what they start) until none is left; bounded. */
  async drain(hooks: Record<string, () => Promise<void>> = {}): Promise<void> {
    let runs = 0;
    while (this.queue.length > 0) {
      if (++runs > MAX_EXECUTIONS) throw new Error(`more than ${MAX_EXECUTIONS} executions: a loop in the simulation`);
      await this.run(this.queue.shift()!, hooks);
    }
  }

  private async run(x: Execution, hooks: Record<string, () => Promise<void>>): Promise<void> {
    const machine = this.resources('AWS::StepFunctions::StateMachine').find((m) => x.machine.endsWith(`:stateMachine:${m.Properties.StateMachineName}`))!;
    const definition = JSON.parse(resolveCfn(machine.Properties.DefinitionString, this.template));
    const workflow = ['training', 'deployment', 'drift-check'].find((w) => String(machine.Properties.StateMachineName).endsWith(`-${w}`))!;
    this.log(`  ${workflow} workflow: ${x.name}`);
    const tasks: Record<string, (input: any) => Promise<any>> = {};
    for (const [state, s] of Object.entries(definition.States as Record<string, Json>).filter(([, s]) => s.Type === 'Task')) {
      tasks[state] = async (input) => {
        if (hooks[state]) await hooks[state]!();
        return this.task(s.Resource, input);
      };
    }
    const waits = Object.fromEntries(Object.entries(definition.States as Record<string, Json>).filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, 0]));
    const retries = Object.fromEntries(Object.keys(tasks).map((n) => [n, 0]));
    const sm = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } } as any);
    const run = sm.run(JSON.parse(x.input), {
      overrides: { taskResourceLocalHandlers: tasks, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      context: { Execution: { Id: x.arn, Name: x.name, Input: JSON.parse(x.input) }, StateMachine: { Id: x.machine, Name: machine.Properties.StateMachineName }, State: { EnteredTime: new Date().toISOString(), Name: 'sim', RetryCount: 0 } },
    } as any);
    try {
      x.output = (await run.result) as Json;
      x.status = 'SUCCEEDED';
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
      x.status = 'FAILED';
      x.error = `${(e.cause as Error).name}: ${(e.cause as Error).message.slice(0, 200)}`;
      this.log(`  ${workflow} workflow FAILED: ${x.error}`);
    }
  }

  /** One task state: a Lambda (by its function), a `.sync` SageMaker job, or an AWS SDK integration. */
  private async task(resource: string, input: Json): Promise<Json> {
    if (resource.startsWith('arn:aws:lambda:')) {
      const logicalId = resource.split(':').pop()!;
      return this.handlers[handlerOf(this.template.Resources[logicalId].Properties.FunctionName)!]!(input);
    }
    const sync = /:states:::sagemaker:(createProcessingJob|createTrainingJob)\.sync$/.exec(resource);
    if (sync) {
      validateSageMakerRequest(sync[1]!, input);
      return sync[1] === 'createProcessingJob' ? this.sageMaker.processing(input) : this.sageMaker.training(input);
    }
    const { service, operation } = sdkIntegration(resource);
    validateAwsRequest(service, operation, input);
    if (service === 'ssm' && operation === 'putParameter') {
      this.parameters.set(input.Name, input.Value);
      return { Version: 1 };
    }
    if (service === 'sagemaker' || service === 'applicationautoscaling') return this.sageMaker.sdk(operation, input);
    throw failure('States.TaskFailed', `the simulator has no stand-in for ${service}:${operation}`);
  }

  /** CloudWatch: records a metric and evaluates the drift alarm on it (threshold from the template). */
  async putMetric(namespace: string, name: string, value: number, pipelinePrefix: string): Promise<void> {
    this.metrics.push({ namespace, name, value });
    const alarm = this.resources('AWS::CloudWatch::Alarm').find((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === name)!;
    const state = value >= alarm.Properties.Threshold ? 'ALARM' : 'OK';
    if (state === this.alarmState) return;
    const previous = this.alarmState;
    this.alarmState = state;
    const alarmArn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarm.Properties.AlarmName}`;
    this.log(`  alarm ${alarm.Properties.AlarmName}: ${previous} → ${state} (${name} = ${value}, ${pipelinePrefix})`);
    const at = new Date().toISOString();
    const st = (v: string) => ({ value: v, reason: `${name} ${value} vs threshold ${alarm.Properties.Threshold}`, reasonData: '{}', timestamp: at });
    await this.putEvent({
      version: '0', id: `sim-${Date.now()}`, 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: ACCOUNT, time: at, region: REGION, resources: [alarmArn],
      detail: { alarmName: alarm.Properties.AlarmName, state: st(state), previousState: st(previous), configuration: { metrics: [] } },
    });
  }

  private packageEvent(pkg: Json): Json {
    return {
      version: '0', id: `sim-${pkg.ModelPackageVersion}-${pkg.ModelApprovalStatus}`, 'detail-type': 'SageMaker Model Package State Change', source: 'aws.sagemaker', account: ACCOUNT, time: new Date().toISOString(), region: REGION, resources: [pkg.ModelPackageArn],
      detail: { ModelPackageGroupName: pkg.ModelPackageGroupName, ModelPackageVersion: pkg.ModelPackageVersion, ModelPackageArn: pkg.ModelPackageArn, ModelApprovalStatus: pkg.ModelApprovalStatus, ModelPackageStatus: 'Completed', ...(pkg.ApprovalDescription ? { ApprovalDescription: pkg.ApprovalDescription } : {}), LastModifiedBy: pkg.LastModifiedBy, LastModifiedTime: pkg.LastModifiedTime },
    };
  }

  /** A data scientist uploads files: S3 stores them, then sends one Object Created event per file. */
  async dropFiles(bucket: string, files: Record<string, string>): Promise<void> {
    for (const [key, text] of Object.entries(files)) this.store.put(bucket, key, text);
    for (const [key, text] of Object.entries(files)) {
      await this.putEvent({ version: '0', id: `sim-${key}`, 'detail-type': 'Object Created', source: 'aws.s3', account: ACCOUNT, time: new Date().toISOString(), region: REGION, resources: [`arn:aws:s3:::${bucket}`], detail: { version: '0', bucket: { name: bucket }, object: { key, size: text.length, etag: 'sim' }, 'request-id': 'sim', requester: ACCOUNT, reason: 'PutObject' } });
    }
  }
}
