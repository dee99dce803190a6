/**
 * CDK feature flags the platform relies on. Set in code (not only in cdk.json) so the app and
 * the tests synthesize the same templates.
 */
export const FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  // Access-log delivery through a bucket policy instead of the legacy ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Merge identical IAM statements.
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  // Key policies name the principals that use the key instead of the whole account.
  '@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope': true,
  '@aws-cdk/aws-stepfunctions-tasks:useNewS3UriParametersForBedrockInvokeModelTask': true,
  // aws-cdk-lib validates every template against CloudFormation's resource schemas and rules at
  // synth; make a finding fail the synth instead of printing a warning.
  '@aws-cdk/core:validateAgainstDefaultRules': true,
};
