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

/**
 * VPC mode of a stage (`stages[].network`): SageMaker's jobs and the served model attach to these
 * subnets with these security groups (SageMaker API VpcConfig: 1–16 subnets, 1–5 groups).
 */
export const networkSchema = z.strictObject({
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id, subnet-…'))
    .min(1)
    .max(16),
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id, sg-…'))
    .min(1)
    .max(5),
});

export type NetworkSettings = z.output<typeof networkSchema>;

/** SageMaker's VpcConfig for a stage in VPC mode (CreateProcessingJob's NetworkConfig, CreateTrainingJob, CreateModel). */
export const sageMakerVpcConfig = (network: NetworkSettings | undefined) =>
  network ? { VpcConfig: { Subnets: [...network.subnetIds], SecurityGroupIds: [...network.securityGroupIds] } } : {};

/**
 * A stage in VPC mode cannot serve a pipeline from a serverless endpoint: Serverless Inference
 * does not support a VPC configuration (SageMaker developer guide, "Serverless Inference", features
 * not supported). A problem on the stage's `network`.
 */
export function networkProblems(
  stages: readonly { name: string; network?: NetworkSettings; overrides?: Record<string, unknown> }[],
  pipelines: readonly { name: string; deployment: { serverless?: unknown } }[],
): { path: (string | number)[]; message: string }[] {
  return stages.flatMap((s, i) => {
    if (!s.network) return [];
    const overridden = (s.overrides?.deployment as { serverless?: unknown } | undefined)?.serverless;
    const serverless = pipelines.filter((p) => (overridden !== undefined ? overridden : p.deployment.serverless)).map((p) => p.name);
    return serverless.length === 0
      ? []
      : [
          {
            path: ['stages', i, 'network'],
            message: `expected no network while pipeline ${serverless.map((n) => `"${n}"`).join(', ')} is served from a serverless endpoint in stage "${s.name}": Serverless Inference does not support a VPC (use instances, deployment.instanceType)`,
          },
        ];
  });
}
