import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionName } from '../../lambdas/shared/names';
import { lambdaLogGroup } from '../config/naming';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { arnsOf } from './arns';
import { functionBundleDir, type FunctionName } from './lambda-bundles';
import { acknowledgeWildcardResource, allow, SERVICE_WIDE_REASON } from './scoped-policy';

export interface PlatformFunctionProps {
  /** Which handler under lambdas/. */
  readonly handler: FunctionName;
  /** `<project>-<stage>-<pipeline>`: prefixes the function and log group names. */
  readonly resourcePrefix: string;
  readonly environment: Record<string, string>;
  readonly logRetentionDays: number;
  /** Encrypts the log group. */
  readonly logKey: kms.IKey;
  /** @default - 60 seconds */
  readonly timeout?: Duration;
  readonly description: string;
  /** @default - no reservation (the account's unreserved pool) */
  readonly reservedConcurrency?: number;
  /** A fixed role name, for a role that another stage's resource policies name. @default - generated */
  readonly roleName?: string;
  /** @default - the platform's (SECURE_DEFAULTS.lambda.memorySize) */
  readonly memorySize?: number;
}

/**
 * A Lambda function with the platform's defaults: a role of its own with no managed policies,
 * a named KMS-encrypted log group with retention, X-Ray tracing, source maps.
 */
export class PlatformFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const name = functionName(props.resourcePrefix, props.handler);
    const logGroupName = lambdaLogGroup(props.resourcePrefix, props.handler);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${name}`,
      ...(props.roleName ? { roleName: props.roleName } : {}),
    });
    const arns = arnsOf(this);
    allow(this.role, {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${arns.logGroup(logGroupName)}:log-stream:*`],
      wildcardReason: "Lambda creates a log stream per execution environment in the function's own log group.",
    });
    acknowledgeWildcardResource(this.role, '*', SERVICE_WIDE_REASON);
    const d = SECURE_DEFAULTS.lambda;
    this.function = new lambda.Function(this, 'Function', {
      functionName: name,
      description: props.description,
      runtime: d.runtime,
      architecture: d.architecture,
      memorySize: props.memorySize ?? d.memorySize,
      timeout: props.timeout ?? d.timeout,
      tracing: d.tracing,
      code: lambda.Code.fromAsset(functionBundleDir(props.handler)),
      handler: 'index.handler',
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
    });
  }
}
