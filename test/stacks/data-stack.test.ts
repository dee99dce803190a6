import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config/load';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { DataStack } from '../../lib/stacks/data-stack';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeTemplate } from '../helpers/normalize';
import { Authorizer } from '../../offline/iam/authorizer';
import { accountOf, synthPlatform, type Synthesized } from '../../offline/synth';

let s: Synthesized;
const data = () => s.template(s.stages.get('dev')!.data);

beforeAll(() => {
  s = synthPlatform({ notifications: { emails: ['ml@example.com'] } });
});

describe('data stack', () => {
  it('has a rotating KMS key with an alias, retained on delete', () => {
    data().hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    data().hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    data().hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/mlops-dev' });
  });

  it("lets CloudWatch Logs use the key only for this stage's log groups", () => {
    const key = Object.values(data().findResources('AWS::KMS::Key'))[0] as any;
    const stmt = key.Properties.KeyPolicy.Statement.find((x: any) => x.Sid === 'AllowPlatformLogGroups');
    expect(JSON.stringify(stmt.Condition)).toContain('/aws/lambda/mlops-dev-');
    expect(JSON.stringify(stmt.Condition)).toContain('/aws/vendedlogs/states/mlops-dev-');
  });

  it("lets only this stage's CloudWatch alarms, in this account, use the key to publish to the encrypted topic: decrypt and data keys, nothing else (#13 item 4)", () => {
    const key = Object.values(data().findResources('AWS::KMS::Key'))[0] as any;
    const st = key.Properties.KeyPolicy.Statement.find((x: any) => x.Sid === 'AllowCloudWatchAlarmsToNotify');
    expect(st).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    expect(st.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(st.Condition.ArnLike['aws:SourceArn'])).toMatch(/:alarm:mlops-dev-\*"\]\]\}$/);
  });

  it("lets EventBridge use the key only through SQS, for this stage's dead-letter queues (#13 item 6)", () => {
    const key = Object.values(data().findResources('AWS::KMS::Key'))[0] as any;
    const st = key.Properties.KeyPolicy.Statement.find((x: any) => x.Sid === 'AllowEventBridgeToDeadLetterQueues');
    expect(st).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    expect(JSON.stringify(st.Condition.StringEquals['kms:ViaService'])).toContain('sqs.');
    expect(JSON.stringify(st.Condition.ArnLike['kms:EncryptionContext:aws:sqs:arn'])).toMatch(/:mlops-dev-\*"\]\]\}$/);
  });

  it('puts the documented aws:SourceAccount/aws:SourceArn conditions on every resource-policy statement for a service principal', () => {
    const asm = synthPlatform().app.synth();
    const unconditioned = asm.stacks.flatMap((st) =>
      Object.entries(st.template.Resources as Record<string, any>).flatMap(([id, r]) =>
        [r.Properties?.PolicyDocument, r.Properties?.KeyPolicy]
          .filter((d) => d && !/^AWS::IAM::/.test(r.Type))
          .flatMap((d: any) => d.Statement)
          .filter((x: any) => x.Effect === 'Allow' && x.Principal?.Service)
          .filter((x: any) => !/aws:Source(Arn|Account)|kms:EncryptionContext:aws:(logs|sqs):arn/.test(JSON.stringify(x.Condition ?? {})))
          .map((x: any) => `${st.stackName}/${id}: ${JSON.stringify(x.Principal.Service)} ${x.Action}`),
      ),
    );
    expect(unconditioned).toEqual([]);
  });

  it('creates four versioned buckets, all blocking public access and retained', () => {
    const buckets = data().findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(4);
    for (const b of Object.values(buckets) as any[]) {
      expect(b.DeletionPolicy).toBe('Retain');
      expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    }
  });

  it('encrypts the data buckets with the key and the access-log bucket with SSE-S3', () => {
    const kms = Object.values(data().findResources('AWS::S3::Bucket')).filter(
      (b: any) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms',
    ) as any[];
    expect(kms).toHaveLength(3);
    for (const b of kms) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } },
      });
      expect(b.Properties.LoggingConfiguration).toMatchObject({ DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogsBucket/) } });
    }
    data().hasResourceProperties('AWS::S3::Bucket', {
      BucketName: { 'Fn::Join': ['', ['mlops-dev-logs-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
  });

  it('expires noncurrent versions and aborts incomplete multipart uploads on every data bucket', () => {
    const rules = Object.values(data().findResources('AWS::S3::Bucket')).map((b: any) => b.Properties.LifecycleConfiguration.Rules[0]);
    for (const r of rules) {
      expect(r).toMatchObject({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 90 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      });
    }
  });

  it('expires captured payloads and quarantine copies after their configured days (#13 item 7), and nothing else', () => {
    const rulesOf = (t: ReturnType<typeof data>, purpose: string) =>
      (Object.values(t.findResources('AWS::S3::Bucket')) as any[]).find((b) => JSON.stringify(b.Properties.BucketName).includes(`-${purpose}-`))!.Properties
        .LifecycleConfiguration.Rules;
    const expiring = (t: ReturnType<typeof data>, purpose: string) =>
      rulesOf(t, purpose)
        .filter((r: any) => r.ExpirationInDays)
        .map((r: any) => ({ prefix: r.Prefix, days: r.ExpirationInDays }));
    expect(expiring(data(), 'capture')).toEqual([{ prefix: undefined, days: 30 }]);
    expect(expiring(data(), 'landing')).toEqual([{ prefix: 'quarantine/', days: 30 }]);
    expect(expiring(data(), 'artifacts')).toEqual([]);
    const custom = synthPlatform({ stages: [{ name: 'dev', captureExpirationDays: 7, quarantineExpirationDays: 365 }] });
    const t = custom.template(custom.stages.get('dev')!.data);
    expect(expiring(t, 'capture')).toEqual([{ prefix: undefined, days: 7 }]);
    expect(expiring(t, 'landing')).toEqual([{ prefix: 'quarantine/', days: 365 }]);
  });

  it('denies non-TLS and TLS below 1.2 on every bucket', () => {
    const policies = Object.values(data().findResources('AWS::S3::BucketPolicy')) as any[];
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      const denies = p.Properties.PolicyDocument.Statement.filter((x: any) => x.Effect === 'Deny');
      expect(denies.map((d: any) => d.Condition)).toEqual(
        expect.arrayContaining([{ Bool: { 'aws:SecureTransport': 'false' } }, { NumericLessThan: { 's3:TlsVersion': 1.2 } }]),
      );
    }
  });

  it('sends every bucket’s events to EventBridge, set on the bucket itself (CT.S3.PR.4)', () => {
    const buckets = Object.values(data().findResources('AWS::S3::Bucket')) as any[];
    expect(buckets.map((b) => b.Properties.NotificationConfiguration)).toEqual(Array(4).fill({ EventBridgeConfiguration: { EventBridgeEnabled: true } }));
  });

  it('keeps, retained, the custom resource that first set the landing bucket’s EventBridge notifications: its delete would clear them', () => {
    data().hasResource('Custom::S3BucketNotifications', {
      Properties: { BucketName: { Ref: Match.stringLikeRegexp('^LandingBucket') }, NotificationConfiguration: { EventBridgeConfiguration: {} } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets only AWS services create grants on the key, for AWS resources (CT.KMS.PR.3)', () => {
    const key = Object.values(data().findResources('AWS::KMS::Key'))[0] as any;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'DenyGrantsNotForAwsResources',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    });
  });

  it('so a role’s own grant is denied by the key, and the grant SageMaker makes for a job’s volume is not', async () => {
    const account = accountOf(data());
    const role = [...account.roles.values()].find((r) => r.logicalId.startsWith('SageMakerExecutionRole'))!;
    const key = account.getAtt(s.stages.get('dev')!.data.stackName, Object.keys(data().findResources('AWS::KMS::Key'))[0]!, 'Arn');
    const grant = (context?: Record<string, string>) =>
      new Authorizer(account).authorize({ principal: role.arn, action: 'kms:CreateGrant', resource: key, via: 'test', ...(context ? { context } : {}) });
    await expect(grant()).rejects.toThrow(/explicit deny in a resource-based policy/);
    await expect(grant({ 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': 'sagemaker.eu-west-1.amazonaws.com' })).resolves.toBeUndefined();
  });

  it('has a KMS-encrypted notifications topic that refuses non-TLS publishing, with e-mail subscriptions', () => {
    data().hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'mlops-dev-notifications',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    data().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    data().hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml@example.com' });
  });

  it('lets CloudWatch alarms of this stage, in this account, publish to the topic (its policy replaces the default one)', () => {
    data().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':alarm:mlops-dev-\\*$')])] }) },
            },
          }),
        ]),
      },
    });
  });

  it('exports only the key ARN, under a name the pipeline stacks derive', () => {
    const outputs = data().toJSON().Outputs as Record<string, any>;
    const exports = Object.values(outputs)
      .filter((o) => o.Export)
      .map((o) => o.Export.Name);
    expect(exports).toEqual(['mlops-dev-DataKeyArn']);
  });

  it('deletes buckets and key when the stage does not retain data', () => {
    const dev = synthPlatform({ stages: [{ name: 'dev', retainData: false }] });
    const t = dev.template(dev.stages.get('dev')!.data);
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });

  it("sends the buckets' access logs to the organization's bucket when the stage names one, each under its own name, and creates none (#18)", () => {
    // The data stack alone: the pipeline stacks play no part in where its buckets log.
    const config = loadConfig({ inline: { stages: [{ name: 'dev', account: '123456789012', region: 'us-east-1', accessLogBucket: 'org-access-logs' }] } });
    const stack = new DataStack(new App({ context: FEATURE_FLAGS }), 'Data', {
      config,
      stage: config.stages[0]!,
      env: { account: '123456789012', region: 'us-east-1' },
    });
    const buckets = Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket')) as any[];
    expect(buckets.map((b) => b.Properties.BucketName).sort()).toEqual(['artifacts', 'capture', 'landing'].map((p) => `mlops-dev-${p}-123456789012-us-east-1`));
    for (const b of buckets)
      expect(b.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: 'org-access-logs', LogFilePrefix: `${b.Properties.BucketName}/` });
    expect(() => synthPlatform({ stages: [{ name: 'dev', accessLogBucket: 'Org_Logs' }] })).toThrow(/stages\[0\]\.accessLogBucket: expected an S3 bucket name/);
  });

  it('matches the normalized snapshot, with these resources by type', () => {
    const json = data().toJSON();
    const types: Record<string, number> = {};
    for (const r of Object.values(normalizeTemplate(json).Resources) as any[]) types[r.Type] = (types[r.Type] ?? 0) + 1;
    expect(types).toEqual({
      'AWS::KMS::Key': 1,
      'AWS::KMS::Alias': 1,
      'AWS::S3::Bucket': 4,
      'AWS::S3::BucketPolicy': 4,
      'Custom::S3BucketNotifications': 1,
      'AWS::Lambda::Function': 1,
      'AWS::IAM::Role': 1,
      'AWS::IAM::Policy': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SNS::Subscription': 1,
      'AWS::Events::EventBus': 1,
      'AWS::EventSchemas::Registry': 1,
      'AWS::EventSchemas::Schema': 19,
    });
    expect(normalizeTemplate(json)).toMatchSnapshot();
  });
});
