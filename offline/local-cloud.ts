import './polyfills';
import { ExecutionError } from 'aws-local-stepfunctions';
import type { FormattedMessage } from '../lambdas/notify/logic';
import { FUNCTION_NAMES, type FunctionName } from '../lib/constructs/lambda-bundles';
import { accountOfArn, REGION, type SynthesizedAccount } from './account';
import { sdkIntegration, validateAwsRequest, validateSageMakerRequest } from './api-models';
import { Authorizer, type AuthRequest } from './iam/authorizer';
import { configuredDeliveries } from './iam/deliveries';
import { checkLambdaPayload, checkStartExecution, checkStateData } from './limits';
import { LocalEventBridge } from './local-events';
import { needsOf, type Need, roleUseNeeds, type ServiceState } from './iam/requests';
import { taskNeeds } from './iam/tasks';
import { type LocalAws, localClients } from './local-aws';
import { deployedHandler } from './local-lambdas';
import { failure, LocalSageMaker } from './local-sagemaker';
import { localCloudWatch, localS3, localSageMakerApi, localSns, localSsm } from './local-services';
import { MemoryObjectStore } from './memory-store';
import { objectCreated, packageStateChange } from './service-events';
import { LocalAlarms } from './local-alarms';
import { localStateMachine } from './state-machines';

type Json = Record<string, any>;
const MAX_EXECUTIONS = 40;

/** Which handler under lambdas/ a function runs (functions are named `<prefix>-<handler>`). */
const handlerOf = (functionName: unknown): FunctionName | undefined =>
  typeof functionName === 'string' ? FUNCTION_NAMES.find((n) => functionName.endsWith(`-${n}`)) : undefined;

interface Execution {
  arn: string;
  name: string;
  machine: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: Date;
  output?: Json;
  error?: string;
  /** The failure's error name and cause, whole. */
  failure?: { error: string; cause: string };
}

/** A delivery by a service that AWS refused (it shows in the alarm history or the service's metrics, and nothing arrives). */
export interface FailedDelivery {
  readonly what: string;
  readonly error: string;
}

/**
 * One offline AWS account (test infrastructure, never deployed): S3 in memory, EventBridge routing
 * with the synthesized rules' event patterns, Step Functions by aws-local-stepfunctions on the
 * synthesized definitions, the real Lambda handlers over SDK clients whose transport is local,
 * SNS captured, CloudWatch metrics and alarms evaluated. Every request (a Lambda's SDK call, a
 * state machine's task, what SageMaker does with its role, a service's delivery) is authorized
 * against the synthesized IAM and resource policies first; a denial fails as AWS's AccessDenied.
 */
export class LocalCloud {
  readonly store: MemoryObjectStore;
  readonly notifications: FormattedMessage[] = [];
  readonly alarms: LocalAlarms;
  readonly executions: Execution[] = [];
  readonly failedDeliveries: FailedDelivery[] = [];
  readonly sageMaker: LocalSageMaker;
  readonly authorizer: Authorizer;
  readonly eventBridge: LocalEventBridge;
  readonly env: Record<string, NodeJS.ProcessEnv> = {};
  readonly parameters = new Map<string, string>();
  /** Simulated time ahead of the wall clock (the story skips days). */
  offsetMs = 0;
  private readonly template: Json;
  private readonly queue: Execution[] = [];
  private readonly handlers: Record<string, (event: any) => Promise<any>> = {};
  /** The ARNs of the functions this cloud runs (the played pipeline's). */
  private readonly hosted = new Set<string>();
  /** The offline clouds of linked accounts, by account id. */
  private readonly peers = new Map<string, LocalCloud>();
  private readonly aws: LocalAws;

  constructor(
    readonly account: SynthesizedAccount,
    private readonly stack: string,
    pipelineJson: unknown,
    private readonly log: (line: string) => void,
    /** S3 shared with a linked account's cloud (bucket names are global). */
    options: { store?: MemoryObjectStore } = {},
  ) {
    this.template = account.template(stack);
    this.store = options.store ?? new MemoryObjectStore();
    // A shared store keeps its creator's clock (the source stage's, which the story moves on).
    if (!options.store) this.store.clock = () => this.now();
    this.authorizer = new Authorizer(account);
    this.eventBridge = new LocalEventBridge(
      account,
      this.authorizer,
      {
        hosts: (fn) => this.hosted.has(fn),
        invoke: (fn, event) => this.handlers[handlerOf(fn.split(':').pop())!]!(event),
        forward: async (bus, event) => {
          // Delivered: what the target bus's rules then do fails there (its targets' retries and DLQs), not in the sender's PutEvents.
          const target = this.cloudOf(bus);
          await target.eventBridge
            .route(event, bus.split('/').pop(), true)
            .catch((e: Error) => target.failedDeliveries.push({ what: `${event['detail-type']} on ${bus}`, error: e.message }));
        },
        deliveryFailed: (what, error) => this.failedDeliveries.push({ what, error }),
      },
      log,
    );
    this.sageMaker = new LocalSageMaker(
      this.store,
      pipelineJson,
      (pkg) => this.putEvent(packageStateChange(account.id, pkg)),
      (role, use, via) => this.authorizeAll(role, roleUseNeeds(account, use), via),
      account.id,
    );
    const sageMakerApi = localSageMakerApi(this.sageMaker);
    this.alarms = new LocalAlarms({
      account,
      stack,
      now: () => this.now(),
      log,
      authorize: (r) => this.authorizer.authorize(r),
      putEvent: (e) => this.putEvent(e),
      email: (subject, body) => this.email({ subject, body, attributes: {} }),
      deliveryFailed: (what, error) => this.failedDeliveries.push({ what, error }),
    });
    this.aws = {
      account,
      authorizer: this.authorizer,
      state: this.serviceState(),
      services: {
        s3: localS3(this.store),
        // A model package of another account (promotion) is described where it lives.
        sagemaker: (op, p) => {
          const owner = this.cloudOf(p.ModelPackageName ?? '');
          return owner === this ? sageMakerApi(op, p) : owner.aws.services.sagemaker(op, p);
        },
        sfn: async (op, p) => this.sfnApi(op, p),
        sns: localSns((_topic, m) => this.email(m)),
        ssm: localSsm(this.parameters),
        eventbridge: this.eventBridge.service(),
        cloudwatch: localCloudWatch(
          this.sageMaker,
          (ns, name, value, dim) => this.putMetric(ns, name, value, dim),
          () => this.alarms.list(),
        ),
      },
    };
    const aws = this.aws;
    for (const [id, r] of Object.entries(this.template.Resources as Record<string, Json>).filter(([, x]) => x.Type === 'AWS::Lambda::Function')) {
      const name = account.resolve(r.Properties.FunctionName, stack) as string | undefined;
      const handler = handlerOf(name);
      if (!handler) continue; // CDK's own helpers (code deployment)
      this.hosted.add(account.getAtt(stack, id, 'Arn'));
      const env = { ...account.resolve(r.Properties.Environment?.Variables ?? {}, stack), AWS_REGION: REGION };
      this.env[handler] = env;
      const clients = localClients(aws, account.roleOf('function', name!), `lambda ${handler}`);
      this.handlers[handler] = deployedHandler(handler, clients, env, () => this.now());
    }
  }

  /**
   * Links this cloud with another account's (a stage that promotes from this one): each sees the
   * other's resource policies, S3 is shared, rules deliver to the other's event bus, and a model
   * package ARN of the other account is described there.
   */
  connect(peer: LocalCloud): void {
    if (peer.store !== this.store) throw new Error('connect: the two clouds must share one object store (new LocalCloud(..., { store }))');
    this.account.link(peer.account);
    this.peers.set(peer.account.id, peer);
    peer.peers.set(this.account.id, this);
  }

  /** The cloud of the account that owns an ARN (this one for its own and for ARNs without an account). */
  private cloudOf(arn: string): LocalCloud {
    const id = accountOfArn(arn);
    if (!id || id === this.account.id) return this;
    const peer = this.peers.get(id);
    if (!peer) throw new Error(`${arn} is in account ${id}, which is not connected to this offline cloud (${this.account.id})`);
    return peer;
  }

  /** The metrics put so far (CloudWatch PutMetricData), in order. */
  get metrics(): { namespace: string; name: string; value: number }[] {
    return this.alarms.metrics;
  }

  /** CloudWatch: records a metric and evaluates every alarm on it (see LocalAlarms). */
  putMetric(namespace: string, name: string, value: number, dimension: string): Promise<void> {
    return this.alarms.put(namespace, name, value, dimension);
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  private resources(type: string): Json[] {
    return Object.values(this.template.Resources as Record<string, Json>).filter((r) => r.Type === type);
  }

  private logicalIdOf(type: string, physical: string): string {
    const id = Object.entries(this.template.Resources as Record<string, Json>).find(
      ([lid, r]) => r.Type === type && (this.account.ref(this.stack, lid) === physical || this.account.getAtt(this.stack, lid, 'Arn') === physical),
    )?.[0];
    if (!id) throw new Error(`no ${type} ${physical} in ${this.stack}`);
    return id;
  }

  /** Authorizes every delivery the templates configure (taken by the story or not); a denial is recorded as a failed delivery. */
  async checkConfiguredDeliveries(): Promise<number> {
    const all = configuredDeliveries(this.account);
    for (const r of all) {
      try {
        await this.authorizer.authorize(r);
      } catch (e) {
        this.failedDeliveries.push({ what: r.via, error: (e as Error).message });
      }
    }
    return all.length;
  }

  /** Authorizes each need for one principal; the first denial throws AccessDenied. */
  async authorizeAll(principal: string, needs: Need[], via: string, errorName?: string): Promise<void> {
    for (const n of needs) await this.authorizer.authorize({ principal, via, ...n } as AuthRequest, errorName);
  }

  private email(m: FormattedMessage): void {
    this.notifications.push(m);
    this.log(`  e-mail: ${m.subject}`);
  }

  private async sfnApi(op: string, p: Json): Promise<Json> {
    if (op === 'StartExecution') return this.startExecution(p.stateMachineArn, p.name, p.input);
    if (op === 'DescribeExecution') {
      const x = this.executions.find((e) => e.arn === p.executionArn);
      if (!x) throw Object.assign(new Error(`Execution Does Not Exist: '${p.executionArn}'`), { name: 'ExecutionDoesNotExist' });
      return { executionArn: x.arn, stateMachineArn: x.machine, name: x.name, status: x.status, startDate: x.startDate };
    }
    if (op === 'ListExecutions') {
      const list = this.executions.filter((e) => e.machine === p.stateMachineArn && (!p.statusFilter || e.status === p.statusFilter));
      return { executions: list.map((e) => ({ executionArn: e.arn, name: e.name, status: e.status, startDate: e.startDate, stateMachineArn: e.machine })) };
    }
    throw new Error(`the offline Step Functions API has no ${op}`);
  }

  /** EventBridge: an AWS service's event on the default bus, routed to the account's rules (a target's failure propagates to the test). */
  async putEvent(event: Json): Promise<void> {
    await this.eventBridge.route(event);
  }

  /** EventBridge Scheduler fires a schedule: it assumes the schedule's role, which starts the target (a Lambda's answer is returned). */
  async fireSchedule(name: string): Promise<unknown> {
    const s = this.resources('AWS::Scheduler::Schedule').find((r) => r.Properties.Name === name);
    if (!s) throw new Error(`no schedule ${name}`);
    const target = this.account.resolve(s.Properties.Target, this.stack) as Json;
    const scheduleArn = `arn:aws:scheduler:${REGION}:${this.account.id}:schedule/default/${name}`;
    await this.authorizer.authorize({
      principal: 'scheduler.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: target.RoleArn,
      context: { 'aws:SourceArn': scheduleArn },
      via: `schedule ${name}`,
    });
    if (String(target.Arn).includes(':lambda:')) {
      // Scheduler invokes the function with the schedule's role: lambda:InvokeFunction in its identity policy.
      await this.authorizer.authorize({ principal: target.RoleArn, action: 'lambda:InvokeFunction', resource: target.Arn, via: `schedule ${name}` });
      checkLambdaPayload('async', target.Input ?? '{}');
      return this.handlers[handlerOf(String(target.Arn).split(':').pop())!]!(JSON.parse(target.Input ?? '{}'));
    }
    await this.authorizeAll(target.RoleArn, needsOf(this.account, 'sfn', 'StartExecution', { stateMachineArn: target.Arn }), `schedule ${name}`);
    this.startExecution(target.Arn, `scheduled-${this.executions.length + 1}`, target.Input ?? '{}');
    return undefined;
  }

  /** StartExecution: idempotent on (name, input); queued, run by drain(). */
  startExecution(machineArn: string, name: string, input: string): Json {
    checkStartExecution(name, input);
    const existing = this.executions.find((x) => x.machine === machineArn && x.name === name);
    if (existing) {
      if (existing.input === input && existing.status === 'RUNNING') return { executionArn: existing.arn, startDate: existing.startDate };
      throw Object.assign(new Error(`Execution ${name} already exists`), { name: 'ExecutionAlreadyExists' });
    }
    const x: Execution = {
      arn: `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      name,
      machine: machineArn,
      input,
      status: 'RUNNING',
      startDate: this.now(),
    };
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
    const id = this.logicalIdOf('AWS::StepFunctions::StateMachine', x.machine);
    const machine = this.template.Resources[id];
    const definition = JSON.parse(this.account.resolve(machine.Properties.DefinitionString, this.stack));
    const role = this.account.roleOf('stateMachine', x.machine);
    const workflow = ['training', 'deployment', 'drift-check'].find((w) => String(machine.Properties.StateMachineName).endsWith(`-${w}`))!;
    this.log(`  ${workflow} workflow: ${x.name}`);
    const tasks: Record<string, (input: any) => Promise<any>> = {};
    for (const [state, s] of Object.entries(definition.States as Record<string, Json>).filter(([, s]) => s.Type === 'Task')) {
      tasks[state] = async (input) => {
        if (hooks[state]) await hooks[state]!();
        const output = await this.task(role, state, s.Resource, input);
        checkStateData(state, JSON.stringify(output ?? null));
        return output;
      };
    }
    const waits = Object.fromEntries(
      Object.entries(definition.States as Record<string, Json>)
        .filter(([, s]) => s.Type === 'Wait')
        .map(([n]) => [n, 0]),
    );
    const retries = Object.fromEntries(Object.keys(tasks).map((n) => [n, 0]));
    const sm = localStateMachine(definition);
    const run = sm.run(JSON.parse(x.input), {
      overrides: { taskResourceLocalHandlers: tasks, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      context: {
        Execution: { Id: x.arn, Name: x.name, Input: JSON.parse(x.input) },
        StateMachine: { Id: x.machine, Name: machine.Properties.StateMachineName },
        State: { EnteredTime: new Date().toISOString(), Name: 'sim', RetryCount: 0 },
      },
    } as any);
    try {
      x.output = (await run.result) as Json;
      x.status = 'SUCCEEDED';
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
      x.status = 'FAILED';
      x.error = `${(e.cause as Error).name}: ${(e.cause as Error).message.slice(0, 300)}`;
      x.failure = { error: (e.cause as Error).name, cause: (e.cause as Error).message };
      this.log(`  ${workflow} workflow FAILED: ${x.error}`);
    }
  }

  private serviceState(): ServiceState {
    return { nextPackage: (g) => this.sageMaker.nextPackageArn(g), scalableTargets: this.sageMaker.scalableTargets };
  }

  /** One task state, authorized for the state machine's role: a Lambda, a `.sync` SageMaker job, or an AWS SDK integration. */
  private async task(role: string, state: string, resource: string, input: Json): Promise<Json> {
    const lambda = resource.startsWith('arn:aws:lambda:');
    const sync = /:states:::sagemaker:(createProcessingJob|createTrainingJob)\.sync$/.exec(resource);
    const sdk = lambda || sync ? undefined : sdkIntegration(resource);
    if (sync) validateSageMakerRequest(sync[1]!, input);
    if (sdk) validateAwsRequest(sdk.service, sdk.operation, input);
    await this.authorizeAll(role, taskNeeds(this.account, resource, input, this.serviceState()), `state ${state}`);
    if (lambda) {
      checkLambdaPayload('sync', JSON.stringify(input));
      const output = await this.handlers[handlerOf(resource.split(':').pop())!]!(input);
      checkLambdaPayload('sync', JSON.stringify(output ?? null));
      return output;
    }
    if (sync) return sync[1] === 'createProcessingJob' ? this.sageMaker.processing(input) : this.sageMaker.training(input);
    const { service, operation } = sdk!;
    if (service === 'ssm' && operation === 'putParameter') {
      this.parameters.set(input.Name, input.Value);
      return { Version: 1 };
    }
    if (service === 'sagemaker' || service === 'applicationautoscaling') return this.sageMaker.sdk(operation, input);
    throw failure('States.TaskFailed', `the simulator has no stand-in for ${service}:${operation}`);
  }

  /** A data scientist uploads files: S3 stores them, then sends one Object Created event per file. */
  async dropFiles(bucket: string, files: Record<string, string>): Promise<void> {
    // Versioned landing bucket: S3's event names the version written.
    const versions = Object.fromEntries(Object.entries(files).map(([key, text]) => [key, this.store.put(bucket, key, text)]));
    for (const [key, text] of Object.entries(files)) await this.putEvent(objectCreated(this.account.id, bucket, key, text.length, versions[key]));
  }
}
