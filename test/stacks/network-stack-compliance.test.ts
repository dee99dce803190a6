import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildPlatform } from '../../lib/app';
import { loadConfig } from '../../lib/config/load';
import { ruleFile, waivedControls } from '../../lib/control-tower';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { INTERFACE_ENDPOINTS, NetworkStack } from '../../lib/stacks/network-stack';
import { hookViolations } from '../../offline/control-tower-hooks';
import { synthPlatform } from '../../offline/synth';
import { ACCOUNT, ENDPOINTS, LOOKUPS, REGION } from '../helpers/vpc-lookup';

/** The network stack (#18) as a whole: the checks a deploy would meet, and the CDK CLI's lookup pass. */
describe('the network stack', () => {
  it("passes aws-cdk-lib's CloudFormation validation, cdk-nag and, as hooks, the Control Tower controls, with every endpoint in it", () => {
    process.env.CDK_VALIDATION = 'true'; // off by default in the tests (test/helpers/setup.ts)
    const app = new App({ context: { ...LOOKUPS, ...FEATURE_FLAGS }, outdir: mkdtempSync(join(tmpdir(), 'network-nag-')) });
    const config = loadConfig({ inline: ENDPOINTS });
    new NetworkStack(app, 'Network', { network: config.stages[0]!.network!, field: 'stages[0].network', env: { account: ACCOUNT, region: REGION } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let assembly: ReturnType<App['synth']>;
    try {
      assembly = app.synth();
    } finally {
      process.env.CDK_VALIDATION = 'false';
    }
    expect(assembly.manifest.missing).toBeUndefined();
    const resources = Object.values(assembly.getStackByName('Network').template.Resources) as { Type: string }[];
    expect(resources.filter((r) => r.Type === 'AWS::EC2::VPCEndpoint')).toHaveLength(Object.keys(INTERFACE_ENDPOINTS).length + 1);

    const s = synthPlatform(undefined, { inline: ENDPOINTS, lookups: LOOKUPS });
    const stage = s.stages.get('prod')!;
    expect(
      hookViolations(
        s.account(stage),
        [stage.network!.stackName],
        waivedControls(true).map((w) => ruleFile(w.control)),
      ),
    ).toEqual([]);
  }, 60_000);

  it('before the CDK CLI has looked the VPC up: the app synthesizes, asks for the lookup, and warns that the stage is outside its VPC until then', () => {
    const app = new App({ context: FEATURE_FLAGS, outdir: mkdtempSync(join(tmpdir(), 'network-missing-')) });
    const stages = buildPlatform(app, loadConfig({ inline: ENDPOINTS }), { nag: false });
    const assembly = app.synth();
    expect(assembly.manifest.missing?.map((m) => m.key)).toEqual([Object.keys(LOOKUPS)[0]]);
    Annotations.fromStack(stages.get('prod')!.data).hasWarning(
      '*',
      Match.stringLikeRegexp('stages\\[0\\]\\.network\\.vpcId: expected vpc-.* in cdk\\.context\\.json'),
    );
  });
});
