import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/load';
import { synthPlatform } from '../../offline/synth';

const example = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'promote-dev-to-prod.json'), 'utf8'));
const ORG = { iam: { permissionsBoundary: 'ml-boundary', rolePath: '/mlops/', roleNamePrefix: 'app-ml-' }, cdk: { qualifier: 'mlops1' } };

type Json = Record<string, any>;

/**
 * An organization's IAM rules and bootstrap (#18 item 2): with a permissions boundary, a role path
 * and a name prefix configured, every role of every template carries them, CDK's helpers and
 * custom-resource providers included; the stacks deploy with the configured bootstrap qualifier.
 */
describe('organization IAM settings and bootstrap qualifier', () => {
  const s = synthPlatform(undefined, { inline: { ...example(), ...ORG } });
  const stacks = [...s.stages.values()].flatMap((st) => [st.data, ...st.pipelines]);
  const roles = stacks.flatMap((st) =>
    Object.entries(s.template(st).findResources('AWS::IAM::Role') as Record<string, Json>).map(([id, r]) => ({ stack: st, id, p: r.Properties })),
  );

  it('put the boundary, the path and the prefix on every role of every template', () => {
    expect(roles.length).toBeGreaterThan(30);
    // Some of them are CDK's own: the auto-delete provider, the bucket deployment's function.
    expect(roles.some((r) => r.id.startsWith('CustomS3AutoDeleteObjects'))).toBe(true);
    for (const r of roles) {
      const where = `${r.stack.stackName}/${r.id}`;
      const stage = [...s.stages.values()].find((st) => st.data === r.stack || (st.pipelines as Stack[]).includes(r.stack))!;
      expect(s.account(stage).resolve(r.p.PermissionsBoundary, r.stack.stackName), where).toBe(`arn:aws:iam::${r.stack.account}:policy/ml-boundary`);
      expect(r.p.Path, where).toBe('/mlops/');
      expect(r.p.RoleName, where).toMatch(/^app-ml-[\w+=,.@-]+$/);
      expect(r.p.RoleName.length, where).toBeLessThanOrEqual(64);
    }
    for (const account of new Set(stacks.map((st) => st.account))) {
      const names = roles.filter((r) => r.stack.account === account).map((r) => r.p.RoleName);
      expect(new Set(names).size, account).toBe(names.length);
    }
  });

  it('keep the platform’s named roles after the prefix, and the other account’s policies name them as deployed', () => {
    const promote = roles.find((r) => r.p.RoleName === 'app-ml-acme-prod-churn-promote')!;
    expect(promote).toBeDefined();
    const prodArn = s.account(s.stages.get('prod')!).getAtt(promote.stack.stackName, promote.id, 'Arn');
    expect(prodArn).toBe('arn:aws:iam::222222222222:role/mlops/app-ml-acme-prod-churn-promote');
    const group = Object.values(s.template(s.stages.get('dev')!.pipelines[0]!).findResources('AWS::SageMaker::ModelPackageGroup'))[0] as Json;
    expect(group.Properties.ModelPackageGroupPolicy.Statement[0].Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': prodArn } });
    const forwarder = roles.find((r) => r.p.RoleName === 'app-ml-acme-dev-to-prod-events')!;
    const busPolicy = Object.values(s.template(s.stages.get('prod')!.data).findResources('AWS::Events::EventBusPolicy'))[0] as Json;
    expect(busPolicy.Properties.Statement.Condition.ArnEquals['aws:PrincipalArn']).toBe(
      s.account(s.stages.get('dev')!).getAtt(forwarder.stack.stackName, forwarder.id, 'Arn'),
    );
  });

  it('leave no role ARN in any template without the path and prefix (but service-linked roles, which AWS names)', () => {
    const arns = stacks.flatMap((st) => JSON.stringify(s.template(st).toJSON()).match(/:role\/[^"\\]*/g) ?? []);
    expect(arns.length).toBeGreaterThan(0);
    expect(arns.filter((a) => !a.startsWith(':role/aws-service-role/') && !a.startsWith(':role/mlops/app-ml-'))).toEqual([]);
  });

  it('deploy with the configured bootstrap qualifier', () => {
    for (const st of stacks) {
      expect(st.synthesizer.bootstrapQualifier).toBe('mlops1');
      expect(s.template(st).toJSON().Parameters.BootstrapVersion.Default).toBe('/cdk-bootstrap/mlops1/version');
    }
  });

  it('change nothing when none is configured', () => {
    const plain = synthPlatform(undefined, { inline: example() });
    const r = Object.values(plain.template(plain.stages.get('prod')!.pipelines[0]!).findResources('AWS::IAM::Role')) as Json[];
    expect(r.some((x) => 'PermissionsBoundary' in x.Properties || 'Path' in x.Properties)).toBe(false);
    expect(r.filter((x) => x.Properties.RoleName).map((x) => x.Properties.RoleName)).toEqual(['acme-prod-churn-promote']);
  });

  it('refuse a prefix that would make a named role longer than 64 characters, naming the field', () => {
    const config = { ...example(), iam: { roleNamePrefix: 'organization-unit-mlops-x-' } };
    config.pipelines[0].name = 'churn-prediction-model';
    expect(() => synthPlatform(undefined, { inline: config })).toThrow(ConfigError);
    expect(() => synthPlatform(undefined, { inline: config })).toThrow(
      'iam.roleNamePrefix: expected a shorter prefix: role "organization-unit-mlops-x-acme-prod-churn-prediction-model-promote" would have 66 characters, IAM allows 64',
    );
    expect(() => synthPlatform(undefined, { inline: { ...example(), iam: { rolePath: 'mlops' } } })).toThrow(
      /iam\.rolePath: expected a path that starts and ends with "\/"/,
    );
    expect(() => synthPlatform(undefined, { inline: { ...example(), cdk: { qualifier: 'far-too-long-q' } } })).toThrow(/cdk\.qualifier/);
    const serverless = example();
    serverless.stages[0].network = { subnetIds: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: ['sg-0c1d2e3f4a5b6c7d8'] };
    serverless.pipelines[0].deployment = { serverless: { memorySizeMb: 2048, maxConcurrency: 5 } };
    expect(() => synthPlatform(undefined, { inline: serverless })).toThrow(
      /stages\[0\]\.network: expected no network while pipeline "churn" is served from a serverless endpoint in stage "dev"/,
    );
  });
});
