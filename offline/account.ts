import { createHash } from 'node:crypto';

type Json = Record<string, any>;

/** The placeholder account (for stages that name none) and the region the offline cloud deploys into. */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

/** The account id in an ARN (none for S3 buckets and objects). */
export const accountOfArn = (arn: string): string | undefined => /^arn:aws:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1];

/** AWS managed policies the platform's roles attach (CDK's own helper functions), as AWS publishes them. */
const AWS_MANAGED: Record<string, Json> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/**
 * SageMaker's built-in and framework images live in AWS-owned accounts whose repository policies
 * let any account pull (an assumption: AWS does not publish them); the pulling role still needs
 * its own identity grant.
 */
const AWS_IMAGE_REPOSITORY_POLICY: Json = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: '*' },
  ],
};

export interface StackTemplate {
  readonly stackName: string;
  readonly template: Json;
}

/** An identity policy of a role, named where it comes from (for reports). */
export interface NamedPolicy {
  readonly name: string;
  readonly document: Json;
}

export interface RoleModel {
  readonly arn: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly policies: NamedPolicy[];
  readonly trust: Json;
}

const stableId = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The synthesized stacks of one stage as one offline AWS account (`id`): CloudFormation values
 * resolved the way CloudFormation returns them (Ref, Fn::GetAtt, Fn::ImportValue across stacks,
 * …), the identity policies of every role, and the resource policies of buckets, topics, queues,
 * keys, functions (from `AWS::Lambda::Permission`), event buses, model package groups and roles
 * (trust policies). Physical names the templates leave to CloudFormation get stable generated
 * ones. Accounts {@link link}ed together see each other's roles, resource policies and bucket
 * keys, as IAM does for a cross-account request.
 */
export class SynthesizedAccount {
  readonly roles = new Map<string, RoleModel>();
  private readonly resourcePolicies = new Map<string, Json>();
  private readonly exports = new Map<string, unknown>();
  private readonly keyOf = new Map<string, string>();
  private readonly buckets = new Set<string>();
  private readonly peers: SynthesizedAccount[] = [];
  private readonly pseudo: Record<string, string>;

  constructor(
    readonly stacks: StackTemplate[],
    readonly id: string = ACCOUNT,
  ) {
    this.pseudo = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': id, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::NoValue': '' };
    for (const s of stacks) {
      for (const out of Object.values((s.template.Outputs ?? {}) as Record<string, Json>)) {
        if (out.Export) this.exports.set(this.resolve(out.Export.Name, s.stackName), { stack: s.stackName, value: out.Value });
      }
    }
    for (const s of stacks) this.index(s);
  }

  /** Every resource of a type, across stacks. */
  resourcesOfType(type: string): { stack: string; logicalId: string; properties: Json }[] {
    return this.stacks.flatMap((s) =>
      Object.entries(s.template.Resources as Record<string, Json>)
        .filter(([, r]) => r.Type === type)
        .map(([logicalId, r]) => ({ stack: s.stackName, logicalId, properties: r.Properties ?? {} })),
    );
  }

  template(stack: string): Json {
    const s = this.stacks.find((x) => x.stackName === stack);
    if (!s) throw new Error(`no stack ${stack}`);
    return s.template;
  }

  /** A synthesized value with every intrinsic function resolved (deeply). */
  resolve(value: unknown, stack: string): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stack));
    if (value === null || typeof value !== 'object') return value;
    const v = value as Json;
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return this.intrinsic(keys[0]!, v[keys[0]!], stack);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(v[k], stack)]));
  }

  private intrinsic(fn: string, arg: any, stack: string): any {
    switch (fn) {
      case 'Ref':
        return this.pseudo[arg] ?? this.ref(stack, arg);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(stack, id, attr);
      }
      case 'Fn::Join':
        return (this.resolve(arg[1], stack) as unknown[]).join(arg[0]);
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (vars[name] !== undefined) return this.resolve(vars[name], stack);
          if (this.pseudo[name] !== undefined) return this.pseudo[name]!;
          const [id, attr] = name.split('.');
          return attr ? this.getAtt(stack, id!, attr) : this.ref(stack, id!);
        });
      }
      case 'Fn::Select':
        return (this.resolve(arg[1], stack) as unknown[])[Number(this.resolve(arg[0], stack))];
      case 'Fn::Split':
        return String(this.resolve(arg[1], stack)).split(arg[0]);
      case 'Fn::ImportValue': {
        const name = this.resolve(arg, stack);
        const e = this.exports.get(name) as { stack: string; value: unknown } | undefined;
        if (!e) throw new Error(`${stack} imports ${name}, which no stack of this account exports`);
        return this.resolve(e.value, e.stack);
      }
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (arg as unknown[]).map((x) => this.resolve(x, stack));
        return this.template(stack).Mappings[map][k1][k2];
      }
      default:
        throw new Error(`${stack}: cannot resolve ${fn} offline`);
    }
  }

  private resource(stack: string, id: string): Json {
    const r = this.template(stack).Resources?.[id];
    if (!r) throw new Error(`${stack} has no resource ${id}`);
    return r;
  }

  /** The name CloudFormation would generate for a resource that names none. */
  private generatedName(stack: string, id: string, max = 64): string {
    return `${`${stack}-${id}`.slice(0, max - 13)}-${stableId(`${stack}/${id}`).slice(0, 12).toUpperCase()}`;
  }

  /** What `Ref` returns, per resource type (CloudFormation's documented return values). */
  ref(stack: string, id: string): string {
    const r = this.resource(stack, id);
    const p = r.Properties ?? {};
    const name = (prop: string, max = 64) => (p[prop] !== undefined ? String(this.resolve(p[prop], stack)) : this.generatedName(stack, id, max));
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return name('BucketName', 63).toLowerCase();
      case 'AWS::IAM::Role':
        return name('RoleName');
      case 'AWS::Lambda::Function':
        return name('FunctionName');
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${this.id}:${name('TopicName', 256)}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${this.id}/${name('QueueName', 80)}`;
      case 'AWS::KMS::Key': {
        const h = stableId(`${stack}/${id}`);
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      }
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${this.id}:stateMachine:${name('StateMachineName', 80)}`;
      case 'AWS::CloudWatch::Alarm':
        return name('AlarmName', 255);
      case 'AWS::Events::Rule':
        return name('Name');
      case 'AWS::Scheduler::Schedule':
        return name('Name');
      case 'AWS::Logs::LogGroup':
        return name('LogGroupName', 512);
      case 'AWS::SSM::Parameter':
        return name('Name', 1011);
      case 'AWS::SageMaker::ModelPackageGroup':
        return `arn:aws:sagemaker:${REGION}:${this.id}:model-package-group/${name('ModelPackageGroupName', 63)}`;
      case 'AWS::Events::EventBus':
        return name('Name', 256);
      case 'AWS::Lambda::LayerVersion':
        return `arn:aws:lambda:${REGION}:${this.id}:layer:${this.generatedName(stack, id)}:1`;
      default:
        return id;
    }
  }

  /** What `Fn::GetAtt` returns for the attributes the platform's templates use. */
  getAtt(stack: string, id: string, attr: string): string {
    const r = this.resource(stack, id);
    const ref = this.ref(stack, id);
    const arns: Record<string, () => string> = {
      'AWS::S3::Bucket': () => `arn:aws:s3:::${ref}`,
      'AWS::IAM::Role': () => `arn:aws:iam::${this.id}:role/${r.Properties?.Path ? `${String(r.Properties.Path).replace(/^\/|\/$/g, '')}/` : ''}${ref}`,
      'AWS::Lambda::Function': () => `arn:aws:lambda:${REGION}:${this.id}:function:${ref}`,
      'AWS::SQS::Queue': () => `arn:aws:sqs:${REGION}:${this.id}:${ref.split('/').pop()}`,
      'AWS::KMS::Key': () => `arn:aws:kms:${REGION}:${this.id}:key/${ref}`,
      'AWS::StepFunctions::StateMachine': () => ref,
      'AWS::CloudWatch::Alarm': () => `arn:aws:cloudwatch:${REGION}:${this.id}:alarm:${ref}`,
      'AWS::Events::Rule': () => `arn:aws:events:${REGION}:${this.id}:rule/${ref}`,
      'AWS::Scheduler::Schedule': () => `arn:aws:scheduler:${REGION}:${this.id}:schedule/${r.Properties?.GroupName ?? 'default'}/${ref}`,
      'AWS::Logs::LogGroup': () => `arn:aws:logs:${REGION}:${this.id}:log-group:${ref}:*`,
      'AWS::SNS::Topic': () => ref,
      'AWS::SageMaker::ModelPackageGroup': () => ref,
      'AWS::Events::EventBus': () => `arn:aws:events:${REGION}:${this.id}:event-bus/${ref}`,
    };
    if (attr === 'Arn' || attr === 'TopicArn' || attr === 'ModelPackageGroupArn') {
      const f = arns[r.Type];
      if (f) return f();
    }
    if (attr === 'KeyId') return ref;
    if (attr === 'QueueName' || attr === 'TopicName') return ref.split(/[/:]/).pop()!;
    if (attr === 'QueueUrl') return ref;
    if (attr === 'Name' && r.Type === 'AWS::StepFunctions::StateMachine') return ref.split(':').pop()!;
    return `${id}.${attr}`;
  }

  private index(s: StackTemplate): void {
    const resources = s.template.Resources as Record<string, Json>;
    const doc = (d: unknown) => this.resolve(d, s.stackName) as Json;
    for (const [id, r] of Object.entries(resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::IAM::Role') {
        const arn = this.getAtt(s.stackName, id, 'Arn');
        const policies: NamedPolicy[] = (p.Policies ?? []).map((x: Json) => ({ name: `${id}/${x.PolicyName}`, document: doc(x.PolicyDocument) }));
        for (const m of this.resolve(p.ManagedPolicyArns ?? [], s.stackName) as string[]) {
          const managed = AWS_MANAGED[m.replace(/^arn:aws:iam::aws:policy\//, '')];
          if (!managed) throw new Error(`${s.stackName}/${id} attaches ${m}, which the offline account does not know`);
          policies.push({ name: `${id}/${m.split('/').pop()}`, document: managed });
        }
        this.roles.set(arn, { arn, stack: s.stackName, logicalId: id, policies, trust: doc(p.AssumeRolePolicyDocument) });
        this.resourcePolicies.set(arn, doc(p.AssumeRolePolicyDocument));
      }
    }
    for (const [id, r] of Object.entries(resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
        for (const roleName of this.resolve(p.Roles ?? [], s.stackName) as string[]) {
          const role = [...this.roles.values()].find((x) => x.arn.endsWith(`/${roleName}`));
          if (!role) throw new Error(`${s.stackName}/${id} attaches to role ${roleName}, which is not in this account`);
          role.policies.push({ name: `${id}`, document: doc(p.PolicyDocument) });
        }
      } else if (r.Type === 'AWS::S3::BucketPolicy') {
        this.addResourcePolicy(`arn:aws:s3:::${this.resolve(p.Bucket, s.stackName)}`, doc(p.PolicyDocument));
      } else if (r.Type === 'AWS::SNS::TopicPolicy') {
        for (const t of this.resolve(p.Topics, s.stackName) as string[]) this.addResourcePolicy(t, doc(p.PolicyDocument));
      } else if (r.Type === 'AWS::SQS::QueuePolicy') {
        for (const url of this.resolve(p.Queues, s.stackName) as string[])
          this.addResourcePolicy(`arn:aws:sqs:${REGION}:${this.id}:${url.split('/').pop()}`, doc(p.PolicyDocument));
      } else if (r.Type === 'AWS::KMS::Key') {
        this.addResourcePolicy(this.getAtt(s.stackName, id, 'Arn'), doc(p.KeyPolicy));
      } else if (r.Type === 'AWS::Lambda::Permission') {
        this.addResourcePolicy(this.functionArn(this.resolve(p.FunctionName, s.stackName)), permissionStatement(this.resolve(p, s.stackName)));
      } else if (r.Type === 'AWS::Events::EventBusPolicy') {
        // One statement per resource (`Statement`, or the older `Action`/`Principal` form, which the platform does not use).
        const bus = String(this.resolve(p.EventBusName ?? 'default', s.stackName));
        this.addResourcePolicy(`arn:aws:events:${REGION}:${this.id}:event-bus/${bus}`, { Version: '2012-10-17', Statement: [doc(p.Statement)] });
      } else if (r.Type === 'AWS::SageMaker::ModelPackageGroup' && p.ModelPackageGroupPolicy) {
        this.addResourcePolicy(this.ref(s.stackName, id), doc(p.ModelPackageGroupPolicy));
      } else if (r.Type === 'AWS::S3::Bucket') {
        this.buckets.add(this.ref(s.stackName, id));
        const kms = p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
        if (kms?.SSEAlgorithm === 'aws:kms') this.keyOf.set(this.getAtt(s.stackName, id, 'Arn'), this.keyArn(this.resolve(kms.KMSMasterKeyID, s.stackName)));
      } else if ((r.Type === 'AWS::SNS::Topic' || r.Type === 'AWS::SQS::Queue') && p.KmsMasterKeyId) {
        this.keyOf.set(this.getAtt(s.stackName, id, 'Arn'), this.keyArn(this.resolve(p.KmsMasterKeyId, s.stackName)));
      }
    }
  }

  private addResourcePolicy(arn: string, document: Json): void {
    const existing = this.resourcePolicies.get(arn);
    this.resourcePolicies.set(arn, existing ? { ...existing, Statement: [...asArray(existing.Statement), ...asArray(document.Statement)] } : document);
  }

  private functionArn(nameOrArn: string): string {
    return nameOrArn.startsWith('arn:') ? nameOrArn.split(':').slice(0, 7).join(':') : `arn:aws:lambda:${REGION}:${this.id}:function:${nameOrArn}`;
  }

  private keyArn(idOrArn: string): string {
    return idOrArn.startsWith('arn:') ? idOrArn : `arn:aws:kms:${REGION}:${this.id}:key/${idOrArn}`;
  }

  /** Lets two accounts' requests reach each other's resources (each side's policies still decide). */
  link(other: SynthesizedAccount): void {
    if (other.id === this.id) throw new Error(`cannot link account ${this.id} to itself`);
    if (!this.peers.includes(other)) this.peers.push(other);
    if (!other.peers.includes(this)) other.peers.push(this);
  }

  /** This account's id and those of the accounts linked to it. */
  linkedIds(): string[] {
    return [this.id, ...this.peers.map((a) => a.id)];
  }

  /** The id of the account that owns a resource: its ARN's, or for S3 that of the (linked) account whose template has the bucket; undefined when unknown. */
  ownerIdOf(resourceArn: string): string | undefined {
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resourceArn)?.[1];
    return bucket ? [this, ...this.peers].find((a) => a.buckets.has(bucket))?.id : accountOfArn(resourceArn);
  }

  /** The account that owns a resource, among this one and those linked to it (this one when none is known). */
  ownerOf(resourceArn: string): SynthesizedAccount {
    const id = this.ownerIdOf(resourceArn);
    return [this, ...this.peers].find((a) => a.id === id) ?? this;
  }

  /** A role of this account or of a linked one. */
  role(arn: string): RoleModel | undefined {
    return this.roles.get(arn) ?? this.peers.find((a) => a.roles.has(arn))?.roles.get(arn);
  }

  /** The resource-based policy AWS evaluates for a request on `resourceArn` (bucket for its objects, function without qualifier, a model package's group), in the account that owns it. */
  resourcePolicyFor(resourceArn: string): Json | undefined {
    const owner = this.ownerOf(resourceArn);
    if (owner !== this) return owner.resourcePolicyFor(resourceArn);
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(resourceArn);
    if (s3) return this.resourcePolicies.get(`arn:aws:s3:::${s3[1]}`);
    const pkg = /^(arn:aws:sagemaker:[^:]+:\d{12}):model-package\/([^/]+)\/\d+$/.exec(resourceArn);
    if (pkg) return this.resourcePolicies.get(`${pkg[1]}:model-package-group/${pkg[2]}`);
    if (resourceArn.startsWith('arn:aws:lambda:')) return this.resourcePolicies.get(this.functionArn(resourceArn));
    if (/^arn:aws:ecr:[^:]+:(\d{12}):repository\//.exec(resourceArn)?.[1] !== undefined && !resourceArn.includes(`:${this.id}:`))
      return AWS_IMAGE_REPOSITORY_POLICY;
    return this.resourcePolicies.get(resourceArn);
  }

  /** The customer-managed key that encrypts a bucket (by bucket name), topic or queue (by ARN), if any. */
  encryptionKey(bucketNameOrArn: string): string | undefined {
    const arn = bucketNameOrArn.startsWith('arn:') ? bucketNameOrArn : `arn:aws:s3:::${bucketNameOrArn}`;
    return this.ownerOf(arn).keyOf.get(arn);
  }

  /** The execution role of a function (by name) or state machine (by ARN), or a schedule's target role (by name). */
  roleOf(kind: 'function' | 'stateMachine' | 'schedule', nameOrArn: string): string {
    const type = { function: 'AWS::Lambda::Function', stateMachine: 'AWS::StepFunctions::StateMachine', schedule: 'AWS::Scheduler::Schedule' }[kind];
    for (const r of this.resourcesOfType(type)) {
      const ref = this.ref(r.stack, r.logicalId);
      if (ref !== nameOrArn) continue;
      return this.resolve(kind === 'schedule' ? r.properties.Target.RoleArn : (r.properties.RoleArn ?? r.properties.Role), r.stack);
    }
    throw new Error(`no ${kind} ${nameOrArn} in this account`);
  }
}

/** A policy element that may be one value or a list, as a list. */
export const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** An `AWS::Lambda::Permission` as the statement Lambda adds to the function's resource policy. */
function permissionStatement(p: Json): Json {
  const condition: Json = {};
  if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  const principal =
    /^\d{12}$/.test(p.Principal) || p.Principal.startsWith('arn:') ? { AWS: p.Principal } : p.Principal === '*' ? '*' : { Service: p.Principal };
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: principal, Action: p.Action, Resource: '*', ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}) },
    ],
  };
}
