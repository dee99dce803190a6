import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { arnsOf } from './arns';
import { allow } from './scoped-policy';
import { captureRoot } from '../../lambdas/shared/names';

export interface SageMakerExecutionRoleProps {
  readonly pipeline: string;
  readonly resourcePrefix: string;
  readonly landingBucket: string;
  readonly artifactsBucket: string;
  /** Endpoints of the pipeline write data capture here, under `<pipeline>/datacapture/`. */
  readonly captureBucket: string;
  readonly key: kms.IKey;
  /** ECR repository ARNs the jobs pull from. */
  readonly imageRepositories: readonly string[];
}

/**
 * The role SageMaker jobs of one pipeline run as: read that pipeline's landing prefix, read and
 * write its artifacts prefix, use the data key, write its job logs and metrics, pull its images.
 */
export class SageMakerExecutionRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `SageMaker jobs of pipeline ${props.pipeline}`,
    });
    const arns = arnsOf(this);
    const prefix = `${props.pipeline}/*`;
    const jobLogs = (kind: string) => arns.logGroup(`/aws/sagemaker/${kind}:log-stream:${props.resourcePrefix}--*`);
    allow(
      this.role,
      {
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [arns.objects(props.landingBucket, prefix), arns.objects(props.artifactsBucket, prefix)],
        wildcardReason: `Datasets and run files are created at run time under the pipeline's own prefix "${props.pipeline}/".`,
      },
      {
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [arns.objects(props.artifactsBucket, prefix)],
        wildcardReason: `Job outputs are written at run time under the pipeline's own prefix "${props.pipeline}/" of the artifacts bucket.`,
      },
      {
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [arns.objects(props.captureBucket, `${captureRoot(props.pipeline)}/*`)],
        wildcardReason: `Endpoints write data capture files at run time under the pipeline's capture prefix "${captureRoot(props.pipeline)}/"; the drift check reads them.`,
      },
      {
        actions: ['s3:ListBucket'],
        resources: [arns.bucket(props.landingBucket), arns.bucket(props.artifactsBucket)],
        conditions: { StringLike: { 's3:prefix': [`${props.pipeline}/`, prefix] } },
      },
      {
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.key.keyArn],
      },
      { actions: ['kms:CreateGrant'], resources: [props.key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [jobLogs('ProcessingJobs'), jobLogs('TrainingJobs'), arns.logGroup(`/aws/sagemaker/Endpoints/${props.resourcePrefix}:log-stream:*`)],
        wildcardReason: "SageMaker names a log stream per job, instance and endpoint variant; the patterns match only this pipeline's jobs and endpoint.",
      },
      {
        actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
        resources: [
          arns.logGroup('/aws/sagemaker/ProcessingJobs'),
          arns.logGroup('/aws/sagemaker/TrainingJobs'),
          arns.logGroup(`/aws/sagemaker/Endpoints/${props.resourcePrefix}`),
        ],
      },
      {
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
        wildcardReason:
          'PutMetricData writes metrics, which are no resource (its only resource type, optional, is a CloudWatch dataset); the namespace condition limits it to SageMaker job metrics.',
      },
      {
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
        wildcardReason: 'ecr:GetAuthorizationToken has no resource-level permissions (it returns a registry login token).',
      },
      {
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [...props.imageRepositories],
      },
    );
  }
}
