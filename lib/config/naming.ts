/**
 * Physical names, derived only from project, stage, pipeline, account and region, so that a
 * pipeline stack can name the data stack's resources without cross-stack exports, and IAM
 * policies (and their cdk-nag acknowledgments) read the same in every synth.
 */

export type BucketPurpose = 'landing' | 'artifacts' | 'capture' | 'logs';

export const dataStackName = (project: string, stage: string): string => `${project}-${stage}-Data`;
/** The stage's VPC endpoints, when the app creates them (`stages[].network.endpoints`). */
export const networkStackName = (project: string, stage: string): string => `${project}-${stage}-Network`;

export const pipelineStackName = (project: string, stage: string, pipeline: string): string => `${project}-${stage}-${pipeline}`;

/** Prefix of every SageMaker job, model package group and log group of one pipeline (≤ 40 chars). */
export const resourcePrefix = (project: string, stage: string, pipeline: string): string => `${project}-${stage}-${pipeline}`;

/** `<project>-<stage>-<purpose>-<account>-<region>`: globally unique, ≤ 61 characters. */
export const bucketName = (project: string, stage: string, purpose: BucketPurpose, account: string, region: string): string =>
  `${project}-${stage}-${purpose}-${account}-${region}`;

export const topicName = (project: string, stage: string): string => `${project}-${stage}-notifications`;

export const keyAlias = (project: string, stage: string): string => `alias/${project}-${stage}`;

/** The one export of the data stack: the KMS key ARN (IAM needs the key ARN, not its alias). */
export const keyArnExportName = (project: string, stage: string): string => `${project}-${stage}-DataKeyArn`;

/** Log groups: Step Functions under the vended-logs prefix, Lambdas under /aws/lambda. */
export const stateMachineLogGroup = (prefix: string, workflow: string): string => `/aws/vendedlogs/states/${prefix}-${workflow}`;
export const lambdaLogGroup = (prefix: string, fn: string): string => `/aws/lambda/${prefix}-${fn}`;

/** SSM parameter holding the latest accepted dataset of a pipeline (retraining starts from it). */
export const latestDatasetParameterName = (project: string, stage: string, pipeline: string): string => `/${project}/${stage}/${pipeline}/latest-dataset`;

/** The promotion function's role in a stage with `promoteFrom`: named, because the source stage's policies name it (≤ 48 characters). */
export const promotionRoleName = (project: string, stage: string, pipeline: string): string => `${resourcePrefix(project, stage, pipeline)}-promote`;

/** The role with which a source stage's bus forwards its Model Live events to a promoting stage's bus. */
export const forwardingRoleName = (project: string, source: string, target: string): string => `${project}-${source}-to-${target}-events`;

/** The stage's lifecycle event bus (data stack); its schema registry has the same name. */
export const eventBusName = (project: string, stage: string): string => `${project}-${stage}-lifecycle`;
