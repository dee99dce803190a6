import { Aws } from 'aws-cdk-lib';

/** ARNs built from names, in the stack's partition, region and account. */
export const arns = {
  bucket: (bucket: string) => `arn:${Aws.PARTITION}:s3:::${bucket}`,
  objects: (bucket: string, pattern: string) => `arn:${Aws.PARTITION}:s3:::${bucket}/${pattern}`,
  sageMaker: (type: string, name: string) => `arn:${Aws.PARTITION}:sagemaker:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/${name}`,
  topic: (name: string) => `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:${name}`,
  eventsRule: (name: string) => `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${name}`,
  logGroup: (name: string) => `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${name}`,
  ecrRepository: (account: string, region: string, repository: string) => `arn:${Aws.PARTITION}:ecr:${region}:${account}:repository/${repository}`,
};
