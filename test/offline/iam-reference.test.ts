import { describe, expect, it } from 'vitest';
import { SynthesizedAccount } from '../../offline/account';
import { arnMatchesTemplate, policyReferenceProblems } from '../../offline/iam/reference';
import { synthPlatform } from '../../offline/synth';

type Json = Record<string, any>;

/** One account per stage of a config (the default when `file` is undefined). */
function accounts(file: string | undefined): [string, SynthesizedAccount][] {
  const s = synthPlatform(undefined, file ? { file } : {});
  return [...s.stages.entries()].map(([stage, st]) => [stage, s.account(st)]);
}

describe('every policy of the platform matches the service authorization reference', () => {
  it.each([
    ['the default config', undefined],
    ['examples/single-model.json', 'examples/single-model.json'],
    ['examples/two-models-two-stages.json', 'examples/two-models-two-stages.json'],
  ])('%s: every action exists, every Resource fits a resource type of its action, every condition key applies', async (_name, file) => {
    const all = accounts(file);
    expect(all.length).toBeGreaterThan(0);
    const problems: Record<string, string[]> = {};
    for (const [stage, account] of all) problems[stage] = await policyReferenceProblems(account);
    expect(problems).toEqual(Object.fromEntries(all.map(([stage]) => [stage, []])));
  });
});

/** An account of one stack holding one policy with the given statements (and the bucket and topic they name). */
function fakeAccount(statements: Json[]): SynthesizedAccount {
  return new SynthesizedAccount([
    {
      stackName: 'fake',
      template: {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'fake-bucket' } },
          Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'fake-topic' } },
          Role: {
            Type: 'AWS::IAM::Role',
            Properties: {
              RoleName: 'fake-role',
              AssumeRolePolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
              },
            },
          },
          FakePolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: { PolicyName: 'fake', Roles: [{ Ref: 'Role' }], PolicyDocument: { Version: '2012-10-17', Statement: statements } },
          },
        },
      },
    },
  ]);
}

const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/prefix/*']] };

describe('policyReferenceProblems can fail', () => {
  it('accepts well-formed statements: wildcards, object prefixes, log streams, versioned model packages, variable condition keys', async () => {
    const account = fakeAccount([
      { Effect: 'Allow', Action: ['s3:GetObject*', 's3:List*', 's3:PutObject'], Resource: [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, objects] },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'Topic' }, Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x:log-stream:*',
      },
      { Effect: 'Allow', Action: 'sagemaker:DescribeModelPackage', Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/group/*' },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:*' } } },
      { Effect: 'Allow', Action: 'sagemaker:AddTags', Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/team': 'ml' } } },
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*' },
    ]);
    expect(await policyReferenceProblems(account)).toEqual([]);
  });

  it('reports an invented action and a wildcard that matches nothing', async () => {
    const account = fakeAccount([{ Sid: 'Typos', Effect: 'Allow', Action: ['s3:GetObjectt', 'kms:Frobnicate*', 'nosuchservice:Get'], Resource: '*' }]);
    expect(await policyReferenceProblems(account)).toEqual([
      'fake/FakePolicy statement 0 (Typos): s3:GetObjectt is not an action of s3',
      'fake/FakePolicy statement 0 (Typos): kms:Frobnicate* matches no action of kms',
      'fake/FakePolicy statement 0 (Typos): nosuchservice:Get: nosuchservice is not a service of the authorization reference',
    ]);
  });

  it('reports a resource of the wrong type', async () => {
    const account = fakeAccount([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::fake-bucket' },
      { Effect: 'Allow', Action: 'sagemaker:DescribeEndpoint', Resource: objects },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: objects },
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: 'arn:aws:sns:eu-west-1:111122223333:fake-topic' },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: 'arn:aws:ecr:eu-west-1:111122223333:repository/x' },
    ]);
    expect(await policyReferenceProblems(account)).toEqual([
      'fake/FakePolicy statement 0: arn:aws:s3:::fake-bucket matches no resource type of s3:GetObject',
      'fake/FakePolicy statement 1: arn:aws:s3:::fake-bucket/prefix/* matches no resource type of sagemaker:DescribeEndpoint',
      'fake/FakePolicy statement 2: arn:aws:s3:::fake-bucket/prefix/* matches no resource type of s3:ListBucket',
      'fake/FakePolicy statement 3: arn:aws:sns:eu-west-1:111122223333:fake-topic matches no resource type of cloudwatch:PutMetricData',
      'fake/FakePolicy statement 4: ecr:GetAuthorizationToken supports only Resource "*", not arn:aws:ecr:eu-west-1:111122223333:repository/x',
    ]);
  });

  it('reports a condition key the action does not have', async () => {
    const account = fakeAccount([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'Topic' }, Condition: { StringLike: { 's3:prefix': 'x/*' } } },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'], Resource: '*', Condition: { StringLike: { 's3:prefix': 'x/*', 'aws:nosuchkey': 'y' } } },
    ]);
    expect(await policyReferenceProblems(account)).toEqual([
      'fake/FakePolicy statement 0: condition key s3:prefix is not a key of sns:Publish nor a global key',
      'fake/FakePolicy statement 1: condition key s3:prefix is not a key of s3:GetObject nor a global key',
      'fake/FakePolicy statement 1: condition key aws:nosuchkey is not a key of s3:ListBucket nor a global key',
      'fake/FakePolicy statement 1: condition key aws:nosuchkey is not a key of s3:GetObject nor a global key',
    ]);
  });

  it('checks resource policies, trust policies and Lambda permissions too', async () => {
    const account = new SynthesizedAccount([
      {
        stackName: 'fake',
        template: {
          Resources: {
            Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'fake-topic' } },
            TopicPolicy: {
              Type: 'AWS::SNS::TopicPolicy',
              Properties: {
                Topics: [{ Ref: 'Topic' }],
                PolicyDocument: {
                  Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publsh', Resource: { Ref: 'Topic' } }],
                },
              },
            },
            Role: {
              Type: 'AWS::IAM::Role',
              Properties: {
                AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRoles' }] },
              },
            },
            Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'fake-fn', Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
            Perm: {
              Type: 'AWS::Lambda::Permission',
              Properties: { FunctionName: { Ref: 'Fn' }, Action: 'lambda:InvokeFunctions', Principal: 'events.amazonaws.com' },
            },
          },
        },
      },
    ]);
    expect(await policyReferenceProblems(account)).toEqual([
      'fake/TopicPolicy statement 0: sns:Publsh is not an action of sns',
      'fake/Role trust policy statement 0: sts:AssumeRoles is not an action of sts',
      'fake/Perm (Lambda permission) statement 0: lambda:InvokeFunctions is not an action of lambda',
    ]);
  });
});

describe('arnMatchesTemplate', () => {
  it.each([
    ['arn:aws:s3:::b/prefix/*', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', true],
    ['arn:aws:s3:::b/prefix/*', 'arn:${Partition}:s3:::${BucketName}', false],
    ['arn:aws:s3:::b*', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', true],
    [
      'arn:aws:logs:r:a:log-group:/aws/lambda/x:log-stream:*',
      'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}',
      true,
    ],
    ['arn:aws:sagemaker:r:a:model-package/group/*', 'arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${ModelPackageName}', true],
    ['arn:aws:sagemaker:r:a:endpoint/x', 'arn:${Partition}:sagemaker:${Region}:${Account}:endpoint-config/${EndpointConfigName}', false],
    ['arn:aws:sagemaker:r:a:endpoint/x?', 'arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}', true],
  ])('%s ~ %s: %s', (resource, template, expected) => {
    expect(arnMatchesTemplate(resource, template)).toBe(expected);
  });
});
