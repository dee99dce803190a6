import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseS3Uri } from '../lambdas/shared/object-store';
import type { RoleUse } from './iam/requests';
import type { MemoryObjectStore } from './memory-store';
import { ML, python } from './python';
import { SageMakerJobs } from './sagemaker-jobs';
import { ScalableTargets } from './scalable-targets';
import { ACCOUNT, REGION } from './account';

type Json = Record<string, any>;

/** Every simulated request's ModelLatency (a fixed value, so comparisons are deterministic). */
const SIMULATED_LATENCY_US = 5_000;

/** Thrown like Step Functions reports a failed `.sync` job or an SDK error. */
export const failure = (name: string, cause: string) => Object.assign(new Error(cause), { name });

interface Variant {
  VariantName: string;
  ModelName: string;
}
export interface EndpointState {
  status: string;
  config: string;
  counters: Map<string, { invocations: number; latencyUs: number[] }>;
}

/**
 * SIMULATOR STAND-IN for SageMaker (test infrastructure, never deployed). Processing and training
 * jobs run for real with the local python3 (ml/*.py, XGBoost 1.7); the model registry keeps
 * packages and approvals; endpoints serve predictions from the packaged model and write data
 * capture for the production and the shadow variant. Requests are validated by the caller.
 */
export class LocalSageMaker {
  readonly packages = new Map<string, Json>();
  readonly models = new Map<string, Json>();
  readonly configs = new Map<string, Json>();
  readonly endpoints = new Map<string, EndpointState>();
  readonly jobs: SageMakerJobs;
  readonly scalableTargets: ScalableTargets;
  private captureSeq = 0;

  constructor(
    private readonly store: MemoryObjectStore,
    private readonly pipelineJson: unknown,
    private readonly onApprovalChange: (pkg: Json) => Promise<void>,
    /** Authorizes what SageMaker does with an execution role (the offline cloud checks IAM here); none = allow all. */
    private readonly asRole: (role: string, use: RoleUse, via: string) => Promise<void> = async () => {},
    readonly accountId: string = ACCOUNT,
  ) {
    this.scalableTargets = new ScalableTargets(accountId);
    this.jobs = new SageMakerJobs(accountId);
  }

  private arn(type: string, name: string): string {
    return `arn:aws:sagemaker:${REGION}:${this.accountId}:${type}/${name}`;
  }

  /** The ARN CreateModelPackage gives the next version in a group. */
  nextPackageArn(group: string): string {
    return this.arn('model-package', `${group}/${[...this.packages.values()].filter((x) => x.ModelPackageGroupName === group).length + 1}`);
  }

  /** The job's image pull and log stream, and its volume key grant, as its role. */
  private async startJob(role: string, job: string, image: string, logGroup: string, volumeKey: string | undefined, vpc: unknown): Promise<void> {
    if (vpc) await this.asRole(role, { kind: 'network' }, `SageMaker ${job} (VPC)`);
    await this.asRole(role, { kind: 'image', uri: image }, `SageMaker ${job}`);
    if (volumeKey) await this.asRole(role, { kind: 'volume-key', keyArn: volumeKey }, `SageMaker ${job}`);
    await this.asRole(role, { kind: 'logs', group: logGroup, stream: `${job}/algo-1` }, `SageMaker ${job}`);
  }

  /** Copies a job input out of S3 as SageMaker would: every object under a prefix, or the objects a manifest lists. */
  private async materialize(role: string, job: string, uri: string, dataType: string, to: string, shard?: { index: number; count: number }): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const read = async (b: string, k: string) => {
      await this.asRole(role, { kind: 'read', bucket: b, key: k }, `SageMaker ${job} input`);
      return this.store.getBuffer(b, k)!;
    };
    const write = (rel: string, body: Buffer) => {
      mkdirSync(dirname(join(to, rel)), { recursive: true });
      writeFileSync(join(to, rel), body);
    };
    if (dataType === 'ManifestFile') {
      const [head, ...keys] = JSON.parse((await read(bucket, key)).toString('utf8')) as [{ prefix: string }, ...string[]];
      const from = parseS3Uri(head.prefix);
      // ShardedByS3Key: each instance gets its share of the objects (here every count-th one).
      for (const k of keys.filter((_, i) => !shard || i % shard.count === shard.index)) write(k, await read(from.bucket, `${from.key}${k}`));
    } else {
      // A prefix brings every object below it (SageMaker lists it first); a full key brings that one object, by its file name.
      await this.asRole(role, { kind: 'list', bucket, prefix: key }, `SageMaker ${job} input`);
      for (const k of this.store.keys(bucket, key)) write(k.slice(key.length).replace(/^\//, '') || k.split('/').pop()!, await read(bucket, k));
    }
  }

  private async upload(role: string, job: string, localDir: string, uri: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    for (const f of walk(localDir)) await this.putAs(role, job, bucket, `${key.replace(/\/?$/, '/')}${relative(localDir, f)}`, readFileSync(f));
  }

  private async putAs(role: string, job: string, bucket: string, key: string, body: Buffer | string): Promise<void> {
    await this.asRole(role, { kind: 'write', bucket, key }, `SageMaker ${job} output`);
    this.store.put(bucket, key, body);
  }

  /** createProcessingJob.sync: runs the job's script on each instance, with inputs and outputs under a local processing root per host. */
  async processing(p: Json): Promise<Json> {
    this.jobs.claim('ProcessingJob', p.ProcessingJobName);
    await this.startJob(
      p.RoleArn,
      p.ProcessingJobName,
      p.AppSpecification.ImageUri,
      '/aws/sagemaker/ProcessingJobs',
      p.ProcessingResources.ClusterConfig.VolumeKmsKeyId,
      p.NetworkConfig?.VpcConfig,
    );
    const count = Number(p.ProcessingResources.ClusterConfig.InstanceCount ?? 1);
    const hosts = Array.from({ length: count }, (_, i) => `algo-${i + 1}`);
    const roots: string[] = [];
    for (const [index, host] of hosts.entries()) roots.push(await this.processingHost(p, { index, count, host, hosts }));
    for (const root of roots) {
      for (const out of p.ProcessingOutputConfig.Outputs) {
        const local = join(root, relative('/opt/ml/processing', out.S3Output.LocalPath));
        mkdirSync(local, { recursive: true });
        await this.upload(p.RoleArn, p.ProcessingJobName, local, out.S3Output.S3Uri);
      }
    }
    const done = {
      ProcessingJobName: p.ProcessingJobName,
      ProcessingJobArn: this.arn('processing-job', p.ProcessingJobName),
      ProcessingJobStatus: 'Completed',
    };
    this.jobs.record('ProcessingJob', done);
    return done;
  }

  /** One instance of a processing job: its inputs (its share of a sharded one), its resourceconfig.json, the script. Returns its root. */
  private async processingHost(p: Json, h: { index: number; count: number; host: string; hosts: string[] }): Promise<string> {
    const root = join(mkdtempSync(join(tmpdir(), 'sim-processing-')), 'opt', 'ml', 'processing');
    for (const input of p.ProcessingInputs) {
      const local = join(root, relative('/opt/ml/processing', input.S3Input.LocalPath));
      mkdirSync(local, { recursive: true });
      const shard = input.S3Input.S3DataDistributionType === 'ShardedByS3Key' ? h : undefined;
      if (input.InputName === 'code') writeFileSync(join(local, 'pipeline.json'), JSON.stringify(this.pipelineJson));
      else await this.materialize(p.RoleArn, p.ProcessingJobName, input.S3Input.S3Uri, input.S3Input.S3DataType, local, shard);
    }
    const resourceConfig = join(root, '..', 'config', 'resourceconfig.json');
    mkdirSync(dirname(resourceConfig), { recursive: true });
    writeFileSync(resourceConfig, JSON.stringify({ current_host: h.host, hosts: h.hosts }));
    const script = join(ML, String(p.AppSpecification.ContainerEntrypoint[1]).split('/').pop()!);
    const args = (p.AppSpecification.ContainerArguments as string[]).map((a) =>
      a.startsWith('/opt/ml/processing/') ? join(root, relative('/opt/ml/processing', a)) : a,
    );
    const message = join(root, '..', 'output', 'message');
    const r = await python([script, ...args], message, { MLOPS_PROCESSING_ROOT: root, MLOPS_RESOURCE_CONFIG: resourceConfig });
    if (r.status !== 0) {
      let exit = '';
      try {
        exit = readFileSync(message, 'utf8');
      } catch {}
      const failed = {
        ProcessingJobName: p.ProcessingJobName,
        ProcessingJobStatus: 'Failed',
        ExitMessage: exit,
        FailureReason: `AlgorithmError: ${r.stderr.trim().split('\n').pop()}`,
      };
      this.jobs.record('ProcessingJob', failed);
      throw failure('States.TaskFailed', JSON.stringify(failed));
    }
    return root;
  }

  /** createTrainingJob.sync: XGBoost 1.7 trained as the built-in algorithm does, model.tar.gz where SageMaker puts it. */
  async training(p: Json): Promise<Json> {
    this.jobs.claim('TrainingJob', p.TrainingJobName);
    const dir = mkdtempSync(join(tmpdir(), 'sim-training-'));
    await this.startJob(
      p.RoleArn,
      p.TrainingJobName,
      p.AlgorithmSpecification.TrainingImage,
      '/aws/sagemaker/TrainingJobs',
      p.ResourceConfig.VolumeKmsKeyId,
      p.VpcConfig,
    );
    for (const c of p.InputDataConfig)
      await this.materialize(p.RoleArn, p.TrainingJobName, c.DataSource.S3DataSource.S3Uri, 'S3Prefix', join(dir, 'data', c.ChannelName));
    const r = await python([join(__dirname, 'train_like_builtin.py'), join(dir, 'data'), JSON.stringify(p.HyperParameters), join(dir, 'model')]);
    if (r.status !== 0) {
      const failed = { TrainingJobName: p.TrainingJobName, TrainingJobStatus: 'Failed', FailureReason: `AlgorithmError: ${r.stderr.trim().split('\n').pop()}` };
      this.jobs.record('TrainingJob', failed);
      throw failure('States.TaskFailed', JSON.stringify(failed));
    }
    const out = `${String(p.OutputDataConfig.S3OutputPath).replace(/\/?$/, '/')}${p.TrainingJobName}/output/model.tar.gz`;
    const { bucket, key } = parseS3Uri(out);
    await this.putAs(p.RoleArn, p.TrainingJobName, bucket, key, readFileSync(join(dir, 'model', 'model.tar.gz')));
    const done = {
      TrainingJobName: p.TrainingJobName,
      TrainingJobArn: this.arn('training-job', p.TrainingJobName),
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: out },
    };
    this.jobs.record('TrainingJob', done);
    return done;
  }

  /** AWS SDK integrations the workflows call (already validated against the API model). */
  async sdk(operation: string, p: Json): Promise<Json> {
    switch (operation) {
      case 'createModelPackage': {
        // ClientToken makes the call idempotent: the same token answers the package it created (SageMaker API reference).
        const earlier = p.ClientToken && [...this.packages.values()].find((x) => x.ClientToken === p.ClientToken);
        if (earlier) return { ModelPackageArn: earlier.ModelPackageArn };
        const pkgArn = this.nextPackageArn(p.ModelPackageGroupName);
        const version = Number(pkgArn.split('/').pop());
        this.packages.set(pkgArn, { ...p, ModelPackageArn: pkgArn, ModelPackageVersion: version });
        return { ModelPackageArn: pkgArn };
      }
      case 'updateModelPackage':
        return this.setApproval(p.ModelPackageArn, p.ModelApprovalStatus, p.ApprovalDescription, 'deployment workflow');
      case 'createModel': {
        const pkg = this.packages.get(p.PrimaryContainer.ModelPackageName);
        if (!pkg) throw failure('SageMaker.AmazonSageMakerException', `Model package ${p.PrimaryContainer.ModelPackageName} not found`);
        this.models.set(p.ModelName, { ...p, modelDataUrl: pkg.InferenceSpecification.Containers[0].ModelDataUrl });
        return { ModelArn: this.arn('model', p.ModelName) };
      }
      case 'createEndpointConfig':
        this.configs.set(p.EndpointConfigName, p);
        return { EndpointConfigArn: this.arn('endpoint-config', p.EndpointConfigName) };
      case 'createEndpoint':
      case 'updateEndpoint':
        await this.hostModels(p.EndpointName, this.configs.get(p.EndpointConfigName));
        this.endpoints.set(p.EndpointName, { status: 'InService', config: p.EndpointConfigName, counters: new Map() });
        return { EndpointArn: this.arn('endpoint', p.EndpointName) };
      case 'describeTrainingJob':
        return this.jobs.describe('TrainingJob', p.TrainingJobName);
      case 'describeProcessingJob':
        return this.jobs.describe('ProcessingJob', p.ProcessingJobName);
      case 'describeEndpoint': {
        const e = this.endpoints.get(p.EndpointName);
        if (!e) throw failure('SageMaker.AmazonSageMakerException', `Could not find endpoint "${p.EndpointName}".`);
        return { EndpointName: p.EndpointName, EndpointArn: this.arn('endpoint', p.EndpointName), EndpointStatus: e.status, EndpointConfigName: e.config };
      }
      case 'addTags':
      case 'deleteTags': {
        const pkg = this.packages.get(p.ResourceArn);
        if (pkg) {
          const tags = new Map<string, string>((pkg.Tags ?? []).map((t: Json) => [t.Key, t.Value]));
          if (operation === 'addTags') for (const t of p.Tags) tags.set(t.Key, t.Value);
          else for (const k of p.TagKeys) tags.delete(k);
          pkg.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
        }
        return {};
      }
      case 'registerScalableTarget':
        return this.scalableTargets.register(p);
      case 'tagResource':
        return this.scalableTargets.tag(p);
      case 'deregisterScalableTarget':
        return this.scalableTargets.deregister(p);
      case 'putScalingPolicy':
        return this.scalableTargets.putScalingPolicy(p);
      default:
        throw new Error(`the simulator has no SageMaker stand-in for ${operation}`);
    }
  }

  /** Hosting a config: each variant's model pulls its image and model data, and logs, as the model's execution role. */
  private async hostModels(endpoint: string, config: Json | undefined): Promise<void> {
    for (const v of [...(config?.ProductionVariants ?? []), ...(config?.ShadowProductionVariants ?? [])] as Variant[]) {
      const m = this.models.get(v.ModelName);
      if (!m) throw failure('SageMaker.AmazonSageMakerException', `Could not find model "${v.ModelName}".`);
      const pkg = this.packages.get(m.PrimaryContainer.ModelPackageName)!;
      const via = `SageMaker endpoint ${endpoint}/${v.VariantName}`;
      if (m.VpcConfig) await this.asRole(m.ExecutionRoleArn, { kind: 'network' }, `${via} (VPC)`);
      await this.asRole(m.ExecutionRoleArn, { kind: 'image', uri: pkg.InferenceSpecification.Containers[0].Image }, via);
      const { bucket, key } = parseS3Uri(m.modelDataUrl);
      await this.asRole(m.ExecutionRoleArn, { kind: 'read', bucket, key }, via);
      await this.asRole(m.ExecutionRoleArn, { kind: 'logs', group: `/aws/sagemaker/Endpoints/${endpoint}`, stream: `${v.VariantName}/i-0sim` }, via);
    }
  }

  /** The operator (console) or the workflow changes a package's status; SageMaker then emits the state change event. */
  async setApproval(pkgArn: string, status: string, description?: string, by = 'operator'): Promise<Json> {
    const pkg = this.packages.get(pkgArn);
    if (!pkg) throw failure('SageMaker.AmazonSageMakerException', `Model package ${pkgArn} not found`);
    Object.assign(pkg, {
      ModelApprovalStatus: status,
      ApprovalDescription: description,
      LastModifiedTime: new Date().toISOString(),
      LastModifiedBy: { UserProfileName: by },
    });
    await this.onApprovalChange(pkg);
    return { ModelPackageArn: pkgArn };
  }

  /** The variants now serving an endpoint: production and, during a shadow test, shadow. */
  variants(endpoint: string): { production: Variant; shadow?: Variant } {
    const e = this.endpoints.get(endpoint);
    if (!e) throw new Error(`endpoint ${endpoint} does not exist`);
    const c = this.configs.get(e.config)!;
    return { production: c.ProductionVariants[0], shadow: c.ShadowProductionVariants?.[0] };
  }

  private async predict(modelName: string, rows: string[]): Promise<string[]> {
    const { bucket, key } = parseS3Uri(this.models.get(modelName)!.modelDataUrl);
    const file = join(mkdtempSync(join(tmpdir(), 'sim-model-')), 'model.tar.gz');
    writeFileSync(file, this.store.getBuffer(bucket, key)!);
    const r = await python([join(__dirname, 'predict.py'), file], undefined, {}, `${rows.join('\n')}\n`);
    if (r.status !== 0) throw new Error(`prediction failed: ${r.stderr}`);
    return r.stdout.trim().split('\n');
  }

  /** InvokeEndpoint for each row (CSV features): the production answers; the shadow gets a copy; both are captured. */
  async invoke(endpoint: string, rows: string[], capture: { bucket: string; prefix: string }): Promise<string[]> {
    const e = this.endpoints.get(endpoint)!;
    const { production, shadow } = this.variants(endpoint);
    const hour = new Date().toISOString().slice(0, 13).replace(/[-T]/g, '/');
    const serve = async (v: Variant) => {
      const outputs = await this.predict(v.ModelName, rows);
      const c = e.counters.get(v.VariantName) ?? { invocations: 0, latencyUs: [] };
      c.invocations += rows.length;
      // Latency is not simulated: a python process per call measures the machine, not the model.
      c.latencyUs.push(...rows.map(() => SIMULATED_LATENCY_US));
      e.counters.set(v.VariantName, c);
      const lines = rows.map((r, i) =>
        JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: r, encoding: 'CSV' },
            endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: outputs[i], encoding: 'CSV' },
          },
          eventMetadata: { eventId: `e-${i}`, inferenceTime: new Date().toISOString() },
          eventVersion: '0',
        }),
      );
      // Which role SageMaker writes capture with is not documented; the platform grants it to the model's execution role, so that is what is checked.
      const model = this.models.get(v.ModelName)!;
      await this.putAs(
        model.ExecutionRoleArn,
        `endpoint ${endpoint}/${v.VariantName} data capture`,
        capture.bucket,
        `${capture.prefix}/${endpoint}/${v.VariantName}/${hour}/sim-${++this.captureSeq}.jsonl`,
        `${lines.join('\n')}\n`,
      );
      return outputs;
    };
    const answers = await serve(production);
    if (shadow) await serve(shadow);
    return answers;
  }
}
