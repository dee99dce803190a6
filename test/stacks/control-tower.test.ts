import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildPlatform, stacksOf } from '../../lib/app';
import { loadConfig } from '../../lib/config/load';
import { controlTowerChecks, ruleFile, waivedControls } from '../../lib/control-tower';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { SynthesizedAccount } from '../../offline/account';
import { type HookViolation, hookViolations } from '../../offline/control-tower-hooks';
import { synthPlatform } from '../../offline/synth';

const ROOT = join(__dirname, '..', '..');
const example = (name: string) => JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8'));
const disabled = (someStageInVpc: boolean) => waivedControls(someStageInVpc).map((w) => ruleFile(w.control));
const DISABLED = disabled(false);

/** Every stage of a config, each as its own offline account, in the form Control Tower's hooks see at deploy. */
function deployTimeViolations(inline?: unknown, off = DISABLED) {
  const s = inline === undefined ? synthPlatform() : synthPlatform(undefined, { inline });
  return [...s.stages.values()].flatMap((st) =>
    hookViolations(
      s.account(st),
      [st.data, ...st.pipelines].map((x) => x.stackName),
      off,
    ),
  );
}

/**
 * AWS Control Tower's proactive controls (#18 item 1), as the cfn-guard rules AWS ships them
 * (`@cdklabs/cdk-validator-cfnguard`), in both forms: at synth on the templates (the app's
 * `-c controlTower=true`), and as CloudFormation hooks evaluate them at deploy, on each resource's
 * resolved properties (where an imported key is its ARN).
 */
describe('AWS Control Tower proactive controls', () => {
  it('are met at deploy time by every resource of the default config and the two-account example, the waived controls and their access-log buckets aside, and by every resource of the landing-zone example (VPC mode, the access-log bucket of the organization)', () => {
    // The stage's own access-log bucket is the one resource a hook would refuse where CT.S3.PR.2 or CT.S3.PR.10 is on
    // (README: a known limit); a stage that names the organization's bucket (stages[].accessLogBucket) has none.
    const accessLogBucket = (stages: string[]) => stages.flatMap((st) => ['CT.S3.PR.10', 'CT.S3.PR.2'].map((control) => `${st} ${control}`)).sort();
    const summary = (found: HookViolation[]) => found.map((v) => `${v.resource.replace(/\/AccessLogsBucket[0-9A-F]{8}$/, '')} ${v.control}`).sort();
    expect(summary(deployTimeViolations())).toEqual(accessLogBucket(['mlops-dev-Data']));
    // In VPC mode, CT.LAMBDA.PR.3 is not waived: every function, CDK's helpers included, is in the subnets.
    expect(summary(deployTimeViolations(example('landing-zone'), disabled(true)))).toEqual([]);
    // Two accounts: the promotion's cross-account grants (bus, group, bucket and key policies) break none.
    expect(summary(deployTimeViolations(example('promote-dev-to-prod')))).toEqual(accessLogBucket(['acme-dev-Data', 'acme-prod-Data']));
  }, 180_000);

  it('find what breaks one at deploy, naming the resource and the control', () => {
    const s = synthPlatform();
    const stage = s.stages.get('dev')!;
    const stacks = [stage.data, ...stage.pipelines].map((st) => ({ stackName: st.stackName, template: structuredClone(s.template(st).toJSON()) }));
    const groups = Object.entries(stacks[1]!.template.Resources as Record<string, any>).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    groups[0]![1].Properties.RetentionInDays = 14;
    const found = hookViolations(new SynthesizedAccount(stacks), [stacks[1]!.stackName], DISABLED);
    expect(found).toEqual([
      { resource: `${stacks[1]!.stackName}/${groups[0]![0]}`, rule: 'cloudwatch_log_group_retention_period_check', control: 'CT.CLOUDWATCH.PR.2' },
    ]);
  });

  it('are waived only by the listed controls, each with its reason in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const w of waivedControls(false)) {
      expect(readme).toContain(`\`${w.control}\``);
      expect(w.reason.length).toBeGreaterThan(60);
    }
    expect(waivedControls(false).map((w) => w.control)).toEqual(['CT.S3.PR.9', 'CT.SQS.PR.1', 'CT.LAMBDA.PR.3']);
    expect(waivedControls(true).map((w) => w.control)).toEqual(['CT.S3.PR.9', 'CT.SQS.PR.1']);
  });

  it('pass at synth on the default config (-c controlTower=true), each acknowledged resource in the report with its reason, the access-log bucket as warnings', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ct-synth-'));
    const app = new App({ context: FEATURE_FLAGS, outdir });
    buildPlatform(app, loadConfig(), { nag: false, controlTower: true });
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const guard = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === 'cdk-validator-cfnguard');
    expect(guard.conclusion).toBe('success');
    // The known limits: reported, as warnings (a hook refuses the bucket at deploy where the control is on), not acknowledged.
    expect(guard.violations.map((v: { ruleName: string; severity: string }) => `${v.ruleName} ${v.severity}`).sort()).toEqual([
      's3_bucket_default_encryption_kms_check warning',
      's3_bucket_logging_enabled_check warning',
    ]);
    const suppressed = (guard.suppressedViolations as { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[]).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath} ${v.reason.split(':')[0]}`),
    );
    const kinds = (rule: string) => suppressed.filter((x) => x.startsWith(`${rule} `)).length;
    // The 4 pipeline DLQs and 13 log groups use the data stack's key.
    expect([kinds('sqs_queue_encrypted_check'), kinds('cloudwatch_log_group_encrypted_check')]).toEqual([4, 13]);
    expect(suppressed).toHaveLength(17);
  }, 120_000);

  it('fail the synth on a control an acknowledgment elsewhere does not cover', () => {
    // One queue whose key is imported (acknowledged) and one log group kept 14 days (broken): the synth must still fail.
    const app = new App({ context: FEATURE_FLAGS, outdir: mkdtempSync(join(tmpdir(), 'ct-synth-')) });
    const stack = new Stack(app, 'Probe');
    new sqs.CfnQueue(stack, 'Queue', { kmsMasterKeyId: Fn.importValue('probe-key-arn') });
    new logs.CfnLogGroup(stack, 'Logs', { retentionInDays: 14, kmsKeyId: Fn.importValue('probe-key-arn') });
    Validations.of(app).addPlugins(controlTowerChecks(app));
    expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.2[\s\S]*Probe\/Logs/);
  }, 60_000);

  it('judge CT.LAMBDA.PR.3 in the stages with a network when others have none: acknowledged on the functions outside, a function left outside in a VPC stage fails', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ct-mixed-'));
    const app = new App({ context: FEATURE_FLAGS, outdir });
    const network = { subnetIds: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: ['sg-0c1d2e3f4a5b6c7d8'] };
    const config = loadConfig({ inline: { stages: [{ name: 'dev' }, { name: 'prod', account: '222222222222', region: 'eu-west-1', network }] } });
    const stages = buildPlatform(app, config, { nag: false, controlTower: true });
    const prodFunction = stages
      .get('prod')!
      .pipelines[0]!.node.findAll()
      .find((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::Lambda::Function')!;
    (prodFunction as unknown as { addPropertyDeletionOverride(p: string): void }).addPropertyDeletionOverride('VpcConfig');
    expect(() => app.synth()).toThrow(/\[CT\.LAMBDA\.PR\.3\][\s\S]*mlops-prod-breast-cancer\//);
    const guard = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')).pluginReports.find(
      (p: { pluginName: string }) => p.pluginName === 'cdk-validator-cfnguard',
    );
    const paths = (vs: { ruleName: string; violatingConstructs?: { constructPath: string }[]; violatingResources?: { resourceLogicalId: string }[] }[]) =>
      vs.filter((v) => v.ruleName === 'lambda_inside_vpc_check').flatMap((v) => (v.violatingConstructs ?? []).map((c) => c.constructPath));
    // The one prod function outside its VPC fails; every dev function is acknowledged; no other prod function is named.
    expect(paths(guard.violations)).toEqual([prodFunction.node.path]);
    const devFunctions = stacksOf(stages.get('dev')!)
      .flatMap((st) => st.node.findAll())
      .filter((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::Lambda::Function')
      .map((c) => c.node.path);
    expect(devFunctions.length).toBeGreaterThan(5);
    expect(paths(guard.suppressedViolations).sort()).toEqual(devFunctions.sort());
  }, 120_000);
});
