import * as z from 'zod';

/** IAM's limits on a role (IAM user guide, "IAM and AWS STS quotas"; CreateRole's RoleName and Path patterns). */
export const ROLE_NAME_MAX = 64;
const ROLE_PATH = /^\/(?:[\x21-\x7E]+\/)?$/;
const ROLE_NAME_CHARS = /^[\w+=,.@-]+$/;
/** Room a generated role name keeps after the prefix: construct path words and an 8-character hash. */
const GENERATED_NAME_MIN = 24;

/**
 * An organization's rules for the IAM roles a deployment creates (landing zones): a permissions
 * boundary on every role, a path, a name prefix. Applied to every role of every stack, CDK's own
 * helpers and custom-resource providers included (README "Deploying into a landing zone").
 */
export const iamSchema = z
  .strictObject({
    /** A managed policy ARN (`arn:aws:iam::<account>:policy/…`) or name in the stage's account. */
    permissionsBoundary: z
      .string()
      .regex(/^(arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/)?[\w+=,.@/-]{1,128}$/, 'expected a managed policy ARN (arn:aws:iam::<account>:policy/<name>) or name')
      .optional(),
    /** e.g. `/mlops/`: starts and ends with `/`. */
    rolePath: z.string().max(512).regex(ROLE_PATH, 'expected a path that starts and ends with "/", e.g. "/mlops/"').optional(),
    /** Prepended to every role name, e.g. `app-ml-`. */
    roleNamePrefix: z
      .string()
      .max(
        ROLE_NAME_MAX - GENERATED_NAME_MIN,
        `expected at most ${ROLE_NAME_MAX - GENERATED_NAME_MIN} characters, to leave a role's own name room within IAM's 64`,
      )
      .regex(ROLE_NAME_CHARS, 'expected letters, digits and +=,.@_- only (IAM role names)')
      .optional(),
  })
  .prefault({});

/** The CDK bootstrap the stages deploy with: an account bootstrapped with `cdk bootstrap --qualifier <q>`. */
export const cdkSchema = z
  .strictObject({
    /** The bootstrap template's pattern ([A-Za-z0-9_-]{1,10}); default CDK's own (hnb659fds). */
    qualifier: z
      .string()
      // The bootstrap template allows A-Z and _ too, but they make its bucket name (cdk-<q>-assets-…) invalid.
      .regex(/^[a-z0-9-]{1,10}$/, 'expected 1 to 10 of a-z, 0-9 and - (the bootstrap qualifier names the bucket cdk-<qualifier>-assets-…)')
      .optional(),
  })
  .prefault({});

export type IamSettings = z.output<typeof iamSchema>;

/** A role's name as deployed: the organization's prefix, then the platform's name for it. */
export const deployedRoleName = (iam: IamSettings, name: string): string => `${iam.roleNamePrefix ?? ''}${name}`;

/** A role's ARN as deployed, path and prefix included (what `aws:PrincipalArn` is compared with). */
export const deployedRoleArn = (iam: IamSettings, partition: string, account: string, name: string): string =>
  `arn:${partition}:iam::${account}:role${iam.rolePath ?? '/'}${deployedRoleName(iam, name)}`;

/** A named role whose deployed name would exceed IAM's 64 characters: a problem on `iam.roleNamePrefix`. */
export function roleNameProblems(iam: IamSettings, names: readonly string[]): { path: (string | number)[]; message: string }[] {
  return names
    .map((n) => deployedRoleName(iam, n))
    .filter((n) => n.length > ROLE_NAME_MAX)
    .map((n) => ({
      path: ['iam', 'roleNamePrefix'],
      message: `expected a shorter prefix: role "${n}" would have ${n.length} characters, IAM allows ${ROLE_NAME_MAX}`,
    }));
}

/** SageMaker's VpcConfig takes at most 16 subnets (API reference, VpcConfig). */
export const MAX_SUBNETS = 16;

/**
 * VPC mode of a stage (`stages[].network`): SageMaker's jobs, the served model and every function
 * attach to these subnets with these security groups (SageMaker API VpcConfig: 1–16 subnets, 1–5
 * groups). The subnets are listed, or found from `vpcId` (the VPC's private and isolated subnets,
 * looked up at synth and kept in cdk.context.json); with `endpoints`, the app creates the VPC
 * endpoints they need (README "Deploying into a landing zone").
 */
export const networkSchema = z
  .strictObject({
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id, vpc-…')
      .optional(),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id, subnet-…'))
      .min(1)
      .max(MAX_SUBNETS)
      .optional(),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id, sg-…'))
      .min(1)
      .max(5),
    /** Create the S3 gateway endpoint and the interface endpoints the stage calls, in the VPC (needs vpcId). */
    endpoints: z.boolean().default(false),
  })
  .superRefine((n, ctx) => {
    if (!n.vpcId && !n.subnetIds) ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: 'expected subnetIds, or a vpcId whose private subnets to use' });
    if (n.endpoints && !n.vpcId)
      ctx.addIssue({ code: 'custom', path: ['endpoints'], message: "expected a vpcId with endpoints: they are created in the VPC's subnets and route tables" });
  });

export type NetworkConfig = z.output<typeof networkSchema>;

/** A stage's network as its resources use it: the subnets listed or found in the VPC, and the security groups. */
export interface NetworkSettings {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/**
 * A bucket the organization provides for the stage's server access logs, instead of the platform's
 * own (`stages[].accessLogBucket`). S3 delivers them only to a bucket the source bucket's owner owns,
 * in the same region (S3 API reference, PutBucketLogging, TargetBucket), so it must be in the stage's
 * account and region, and its policy must let `logging.s3.amazonaws.com` put objects.
 */
export const accessLogBucketSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name in the stage's account and region");

/** SageMaker's VpcConfig for a stage in VPC mode (CreateProcessingJob's NetworkConfig, CreateTrainingJob, CreateModel). */
export const sageMakerVpcConfig = (network: NetworkSettings | undefined) =>
  network ? { VpcConfig: { Subnets: [...network.subnetIds], SecurityGroupIds: [...network.securityGroupIds] } } : {};

/**
 * A stage in VPC mode cannot serve a pipeline from a serverless endpoint: Serverless Inference
 * does not support a VPC configuration (SageMaker developer guide, "Serverless Inference", features
 * not supported). A problem on the stage's `network`.
 */
export function networkProblems(
  stages: readonly { name: string; account?: string; region?: string; network?: NetworkConfig; overrides?: Record<string, unknown> }[],
  pipelines: readonly { name: string; deployment: { serverless?: unknown } }[],
): { path: (string | number)[]; message: string }[] {
  return stages.flatMap((s, i) => {
    if (!s.network) return [];
    const lookup =
      s.network.vpcId && !(s.account && s.region)
        ? [{ path: ['stages', i, 'network', 'vpcId'], message: `expected stage "${s.name}" to name its account and region: the VPC is looked up there` }]
        : [];
    const overridden = (s.overrides?.deployment as { serverless?: unknown } | undefined)?.serverless;
    const serverless = pipelines.filter((p) => (overridden !== undefined ? overridden : p.deployment.serverless)).map((p) => p.name);
    return serverless.length === 0
      ? lookup
      : [
          ...lookup,
          {
            path: ['stages', i, 'network'],
            message: `expected no network while pipeline ${serverless.map((n) => `"${n}"`).join(', ')} is served from a serverless endpoint in stage "${s.name}": Serverless Inference does not support a VPC (use instances, deployment.instanceType)`,
          },
        ];
  });
}
