import '../../offline/polyfills';

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test-only-no-aws';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test-only-no-aws';
process.env.LOG_LEVEL ??= 'ERROR';
process.env.NODE_NO_WARNINGS = '1';
// aws-cdk-lib's built-in CloudFormation validation costs ≈ 2 s of engine start per test process.
// It stays on where it is the subject: test/stacks/cdk-nag.test.ts (default config, every
// example, a broken template) turns it back on, and so does every `cdk synth`.
process.env.CDK_VALIDATION = 'false';
