import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { NetworkSettings } from '../config/organization';
import { arnsOf } from './arns';
import { allow, type ScopedStatement } from './scoped-policy';
import { captureRoot, monitoringRoot } from '../../lambdas/shared/names';

export interface SageMakerExecutionRoleProps {
  readonly pipeline: string;
  readonly resourcePrefix: string;
  readonly landingBucket: string;
  readonly artifactsBucket: string;
  /** Endpoints of the pipeline write data capture here, under `<pipeline>/datacapture/`. */
  readonly captureBucket: string;
  readonly key: kms.IKey;
  /** ECR repository ARNs the jobs (or the model) pull from. */
  readonly imageRepositories: readonly string[];
  /** The stage's VPC mode: SageMaker attaches the jobs' (or the model's) network interfaces to its subnets, as this role. */
  readonly network?: NetworkSettings;
}

/**
 * What SageMaker does with the role to put a job or a model in a VPC: the EC2 network-interface
 * calls aws-cdk-lib's SageMaker task constructs grant for VpcConfig (from SageMaker's "CreateTrainingJob
 * API: Execution Role Permissions"). EC2's Describe* take no resource; the interfaces are created at run time.
 */
export const SAGEMAKER_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
] as const;

/** Where a pipeline's runs write: `<pipeline>/runs/<run-id>/…` (lambdas/shared/run.ts). */
const runsRoot = (pipeline: string) => `${pipeline}/runs`;
/** The log group of the pipeline's endpoint. */
const endpointLogs = (resourcePrefix: string) => `/aws/sagemaker/Endpoints/${resourcePrefix}`;

/**
 * A role SageMaker assumes for this account only, with what every SageMaker use needs: the
 * data key, its own log streams, SageMaker metrics, and the images of the pipeline.
 */
function sageMakerRole(scope: Construct, description: string, props: SageMakerExecutionRoleProps, logStreams: string[], logGroups: string[]): iam.Role {
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description,
  });
  const arns = arnsOf(scope);
  if (props.network)
    allow(role, {
      actions: [...SAGEMAKER_VPC_ACTIONS],
      resources: ['*'],
      wildcardReason:
        'VPC mode: SageMaker creates and describes the network interfaces of each job or endpoint instance at run time; EC2 Describe* calls take no resource.',
    });
  allow(
    role,
    { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [props.key.keyArn] },
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: logStreams.map((s) => arns.logGroup(s)),
      wildcardReason: "SageMaker names a log stream per job, instance and endpoint variant; the patterns match only this pipeline's.",
    },
    { actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], resources: logGroups.map((g) => arns.logGroup(g)) },
    {
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      wildcardReason:
        'PutMetricData writes metrics, which are no resource (its only resource type, optional, is a CloudWatch dataset); the namespace condition limits it to SageMaker metrics.',
    },
    {
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
      wildcardReason: 'ecr:GetAuthorizationToken has no resource-level permissions (it returns a registry login token).',
    },
    { actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], resources: [...props.imageRepositories] },
  );
  return role;
}

/**
 * The role SageMaker jobs of one pipeline run as (preprocessing, training, evaluation, drift
 * check): read the pipeline's landing prefix and artifacts, write only under its runs and its
 * monitoring prefix (never its code, its dataset ledger or anything else of the bucket), read its
 * data capture.
 */
export class SageMakerExecutionRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id);
    const jobLogs = (kind: string) => `/aws/sagemaker/${kind}:log-stream:${props.resourcePrefix}--*`;
    this.role = sageMakerRole(
      this,
      `SageMaker jobs of pipeline ${props.pipeline}`,
      props,
      [jobLogs('ProcessingJobs'), jobLogs('TrainingJobs')],
      ['/aws/sagemaker/ProcessingJobs', '/aws/sagemaker/TrainingJobs'],
    );
    const arns = arnsOf(this);
    const prefix = `${props.pipeline}/*`;
    allow(
      this.role,
      // A job's volume is encrypted with the key through a grant SageMaker makes as the job's role (an endpoint's, as the caller of CreateEndpointConfig).
      { actions: ['kms:CreateGrant'], resources: [props.key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
      {
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [arns.objects(props.landingBucket, prefix), arns.objects(props.artifactsBucket, prefix)],
        wildcardReason: `Datasets, code and run files are read at run time under the pipeline's own prefix "${props.pipeline}/".`,
      },
      {
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [
          arns.objects(props.artifactsBucket, `${runsRoot(props.pipeline)}/*`),
          arns.objects(props.artifactsBucket, `${monitoringRoot(props.pipeline)}/*`),
        ],
        wildcardReason: `Job outputs are written at run time under the pipeline's runs and monitoring prefixes only ("${runsRoot(props.pipeline)}/", "${monitoringRoot(props.pipeline)}/").`,
      },
      {
        actions: ['s3:GetObject'],
        resources: [arns.objects(props.captureBucket, `${captureRoot(props.pipeline)}/*`)],
        wildcardReason: `The drift check reads data capture files, written at run time under "${captureRoot(props.pipeline)}/".`,
      },
      {
        actions: ['s3:ListBucket'],
        resources: [arns.bucket(props.landingBucket), arns.bucket(props.artifactsBucket)],
        conditions: { StringLike: { 's3:prefix': [`${props.pipeline}/`, prefix] } },
      },
      // Transitional, to remove in the next release: a model created before the served model had its own role
      // still runs as this one, and its endpoint must keep capturing traffic and logging until a new model replaces it.
      {
        actions: ['s3:PutObject'],
        resources: [arns.objects(props.captureBucket, `${captureRoot(props.pipeline)}/*`)],
        wildcardReason: `Models created by an earlier version still run as this role and write data capture under "${captureRoot(props.pipeline)}/".`,
      },
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [arns.logGroup(`${endpointLogs(props.resourcePrefix)}:log-stream:*`)],
        wildcardReason: "Models created by an earlier version still run as this role and log per endpoint variant and instance in the endpoint's log group.",
      },
    );
  }
}

/**
 * The role the pipeline's served model runs as: read only the model artifacts of its runs
 * (`<pipeline>/runs/<run-id>/model/…`), write only its data capture, pull its image, log to the
 * endpoint's log group. Nothing a job writes elsewhere, and no job's role, is within its reach.
 */
export class SageMakerModelRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id);
    const logs = endpointLogs(props.resourcePrefix);
    this.role = sageMakerRole(this, `Served models of pipeline ${props.pipeline}`, props, [`${logs}:log-stream:*`], [logs]);
    const arns = arnsOf(this);
    const modelArtifacts: ScopedStatement = {
      actions: ['s3:GetObject'],
      resources: [arns.objects(props.artifactsBucket, `${runsRoot(props.pipeline)}/*/model/${props.resourcePrefix}--*/output/model.tar.gz`)],
      wildcardReason: `Model artifacts are written at run time by training jobs as "${runsRoot(props.pipeline)}/<run-id>/model/<job>/output/model.tar.gz".`,
    };
    allow(this.role, modelArtifacts, {
      actions: ['s3:PutObject'],
      resources: [arns.objects(props.captureBucket, `${captureRoot(props.pipeline)}/*`)],
      wildcardReason: `Endpoints write data capture files at run time under the pipeline's capture prefix "${captureRoot(props.pipeline)}/".`,
    });
  }
}
