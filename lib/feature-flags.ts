import RECOMMENDED from 'aws-cdk-lib/recommended-feature-flags.json';

/** The platform's own flags (applied over the recommended set). */
export const OWN_FLAGS: Readonly<Record<string, unknown>> = {
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

/**
 * CDK feature flags: the ones `cdk init` writes for this aws-cdk-lib version (it ships the list),
 * then the platform's own. Set in code, the one place the app (bin/app.ts), the tests
 * (offline/synth.ts) and `npx cdk synth` all read; cdk.json sets none (a test holds it so).
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = { ...RECOMMENDED, ...OWN_FLAGS };
