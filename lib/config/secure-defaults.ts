import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Secure defaults, in one place (listed in the README's "Default settings").
 */
export const SECURE_DEFAULTS = {
  bucket: {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    bucketKeyEnabled: true,
    abortIncompleteMultipartUploadDays: 7,
  },
  lambda: {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(60),
    tracing: lambda.Tracing.ACTIVE,
    /** EventBridge-invoked functions retry twice, then go to the DLQ. */
    asyncRetryAttempts: 2,
  },
  /** Bytes the validation Lambda reads from the start of each file. */
  validationHeadBytes: 64 * 1024,
  /** SQS keeps DLQ messages for 14 days (the maximum). */
  dlqRetentionDays: 14,
} as const;
