import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthPlatform } from '../../offline/synth';

/**
 * examples/promote-dev-to-prod.json: dev (111111111111) trains, prod (222222222222) promotes what
 * goes live in dev. Asserts what each side grants the other, and that nothing is granted
 * account-wide: every cross-account statement names one role by aws:PrincipalArn.
 */
type Json = Record<string, any>;
let t: Record<'devData' | 'devChurn' | 'prodData' | 'prodChurn', Template>;
const PROD_ROLE = 'arn:aws:iam::222222222222:role/acme-prod-churn-promote';
const FORWARDER = 'arn:aws:iam::111111111111:role/acme-dev-to-prod-events';

beforeAll(() => {
  const s = synthPlatform(undefined, { file: 'examples/promote-dev-to-prod.json', nag: true });
  const dev = s.stages.get('dev')!;
  const prod = s.stages.get('prod')!;
  t = { devData: s.template(dev.data), devChurn: s.template(dev.pipelines[0]!), prodData: s.template(prod.data), prodChurn: s.template(prod.pipelines[0]!) };
});

const statements = (template: Template, type: string, prop: string): Json[] =>
  Object.values(template.findResources(type)).flatMap((r: any) => [r.Properties[prop]?.Statement ?? r.Properties[prop]].flat().filter(Boolean));
const identityStatements = (template: Template, rolePrefix: string): Json[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
const types = (template: Template) => new Set(Object.values(template.toJSON().Resources as Json).map((r: Json) => r.Type));

describe('a stage that promotes another (prod, promoteFrom dev)', () => {
  it('trains nothing: no trigger, no training workflow, no retraining, no latest-dataset parameter', () => {
    const names = Object.values(t.prodChurn.findResources('AWS::StepFunctions::StateMachine')).map((r: any) => r.Properties.StateMachineName);
    expect(names.sort()).toEqual(['acme-prod-churn-deployment', 'acme-prod-churn-drift-check']);
    expect(types(t.prodChurn).has('AWS::SSM::Parameter')).toBe(false);
    const fns = Object.values(t.prodChurn.findResources('AWS::Lambda::Function'))
      .map((r: any) => r.Properties.FunctionName)
      .filter(Boolean);
    for (const gone of ['dataset-trigger', 'validate-dataset', 'quality-gate', 'retrain'])
      expect(
        fns.some((f: string) => f.endsWith(gone)),
        gone,
      ).toBe(false);
    expect(fns).toContain('acme-prod-churn-promote-model');
  });

  it("hands dev's Model Live events of this pipeline, from dev's account only, to the promotion function", () => {
    const rules = Object.values(t.prodChurn.findResources('AWS::Events::Rule')).filter(
      (r: any) => r.Properties.EventPattern?.['detail-type']?.[0] === 'Model Live',
    ) as any[];
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventBusName).toBe('acme-prod-lifecycle');
    expect(rules[0].Properties.EventPattern).toEqual({
      source: ['mlops.acme'],
      'detail-type': ['Model Live'],
      account: ['111111111111'],
      detail: { stage: ['dev'], pipeline: ['churn'] },
    });
  });

  it("lets the promotion role read dev's packages, artifacts and key of this pipeline only, and register in prod's group", () => {
    t.prodChurn.hasResourceProperties('AWS::IAM::Role', { RoleName: 'acme-prod-churn-promote' });
    const st = identityStatements(t.prodChurn, 'PromotionFunctionRole');
    const of = (action: string) => st.filter((s) => [s.Action].flat().includes(action));
    expect(of('sagemaker:DescribeModelPackage').map((s) => s.Resource)).toEqual(['arn:aws:sagemaker:eu-west-1:111111111111:model-package/acme-dev-churn/*']);
    expect(JSON.stringify(of('s3:GetObject')[0].Resource)).toContain(
      'acme-dev-artifacts-111111111111-eu-west-1/churn/runs/*/model/acme-dev-churn--*/output/model.tar.gz',
    );
    const decrypt = of('kms:Decrypt').find((s) => JSON.stringify(s.Resource).includes('111111111111'))!;
    const context = ['arn:aws:s3:::acme-dev-artifacts-111111111111-eu-west-1', 'arn:aws:s3:::acme-dev-artifacts-111111111111-eu-west-1/churn/runs/*'];
    expect(decrypt.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': context },
    });
    expect(JSON.stringify(of('sagemaker:CreateModelPackage')[0].Resource)).toContain(':model-package/acme-prod-churn/*');
  });

  it("admits onto its bus only dev's forwarding role, with the project's Model Live events", () => {
    const [policy] = statements(t.prodData, 'AWS::Events::EventBusPolicy', 'Statement');
    expect(policy).toMatchObject({
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: 'events:PutEvents',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': FORWARDER },
        'ForAllValues:StringEquals': { 'events:source': ['mlops.acme'], 'events:detail-type': ['Model Live'] },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
      },
    });
  });
});

describe('the stage promoted from (dev)', () => {
  it("forwards its Model Live events to prod's bus as a named role, with a dead-letter queue that alarms", () => {
    const rule = Object.values(t.devData.findResources('AWS::Events::Rule'))[0] as any;
    expect(rule.Properties.EventPattern).toEqual({ source: ['mlops.acme'], 'detail-type': ['Model Live'], detail: { stage: ['dev'] } });
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toBe('arn:aws:events:eu-west-1:222222222222:event-bus/acme-prod-lifecycle');
    expect(JSON.stringify(target.DeadLetterConfig)).toContain('ForwardingDeadLetterQueue');
    t.devData.hasResourceProperties('AWS::IAM::Role', { RoleName: 'acme-dev-to-prod-events' });
    expect(identityStatements(t.devData, 'ForwardToProdRole')).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Resource: 'arn:aws:events:eu-west-1:222222222222:event-bus/acme-prod-lifecycle' }),
    ]);
    t.devData.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'acme-dev-forwarding-dlq-not-empty' });
  });

  it("lets prod's promotion role, and no other principal of prod's account, read the runs' artifacts and decrypt them through S3", () => {
    const bucket = statements(t.devData, 'AWS::S3::BucketPolicy', 'PolicyDocument').filter((s) => JSON.stringify(s.Principal).includes('222222222222'));
    const key = statements(t.devData, 'AWS::KMS::Key', 'KeyPolicy').filter((s) => JSON.stringify(s.Principal).includes('222222222222'));
    expect(bucket.map((s) => s.Action).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(key).toHaveLength(1);
    expect(key[0].Action).toBe('kms:Decrypt');
    expect(key[0].Condition.StringEquals).toEqual({ 'kms:ViaService': 's3.eu-west-1.amazonaws.com' });
    // Under S3 Bucket Keys the context is the bucket's ARN, else the object's: both, and only the pipeline's runs.
    expect(key[0].Condition.StringLike).toEqual({
      'kms:EncryptionContext:aws:s3:arn': [
        'arn:aws:s3:::acme-dev-artifacts-111111111111-eu-west-1',
        'arn:aws:s3:::acme-dev-artifacts-111111111111-eu-west-1/churn/runs/*',
      ],
    });
    for (const s of [...bucket, ...key]) expect(s.Condition.ArnEquals).toEqual({ 'aws:PrincipalArn': PROD_ROLE });
  });

  it("lets prod's promotion role describe the versions of the pipeline's model package group", () => {
    const group = Object.values(t.devChurn.findResources('AWS::SageMaker::ModelPackageGroup'))[0] as any;
    expect(group.Properties.ModelPackageGroupPolicy.Statement).toEqual([
      {
        Sid: 'PromotionToProd',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::222222222222:root' },
        Action: ['sagemaker:DescribeModelPackage'],
        Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/acme-dev-churn/*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': PROD_ROLE } },
      },
    ]);
  });
});
