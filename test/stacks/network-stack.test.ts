import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlatform } from '../../lib/app';
import { loadConfig } from '../../lib/config/load';
import { ruleFile, waivedControls } from '../../lib/control-tower';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { GATEWAY_ENDPOINT_CLIENT, INTERFACE_ENDPOINTS, NetworkStack } from '../../lib/stacks/network-stack';
import { hookViolations } from '../../offline/control-tower-hooks';
import { type Synthesized, synthPlatform } from '../../offline/synth';
import { vpcLookup } from '../helpers/vpc-lookup';

const ROOT = join(__dirname, '..', '..');
const [ACCOUNT, REGION, VPC] = ['333333333333', 'eu-west-1', 'vpc-0a1b2c3d4e5f60718'];
const SG = ['sg-0c1d2e3f4a5b6c7d8', 'sg-0d1e2f3a4b5c6d7e8'];
const subnet = (n: number) => `subnet-0000000000000000${n}`;
// Two private subnets in two zones, an isolated one sharing a zone and a route table with the first, a public one.
const LOOKUPS = vpcLookup(ACCOUNT, REGION, VPC, [
  { subnetId: subnet(1), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000a', type: 'Private' },
  { subnetId: subnet(2), availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0000000000000000b', type: 'Private' },
  { subnetId: subnet(3), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000a', type: 'Isolated' },
  { subnetId: subnet(4), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000c', type: 'Public' },
]);
const stage = (network: Record<string, unknown>) => ({ stages: [{ name: 'prod', account: ACCOUNT, region: REGION, network }] });
const ENDPOINTS = stage({ vpcId: VPC, securityGroupIds: SG, endpoints: true });

/** The AWS SDK clients the functions import (`lambdas/**`). */
function clientsOfFunctions(dir = join(ROOT, 'lambdas')): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const c of clientsOfFunctions(path)) found.add(c);
    else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/from '(@aws-sdk\/client-[a-z0-9-]+)'/g)) found.add(m[1]!);
  }
  return found;
}

/**
 * VPC mode with the VPC looked up by id, and the app creating the stage's VPC endpoints (#18 item
 * 3): the lookup is answered from the context the CDK CLI keeps in cdk.context.json.
 */
describe('a stage whose network is a VPC looked up by id, with endpoints', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPlatform(undefined, { inline: ENDPOINTS, lookups: LOOKUPS });
  });
  const network = () => s.template(s.stages.get('prod')!.network!);
  const resources = (type: string) => Object.values(network().findResources(type)) as any[];

  it("puts every function and SageMaker request in the VPC's private and isolated subnets, not its public one", () => {
    const { data, pipelines } = s.stages.get('prod')!;
    const subnets = [subnet(1), subnet(2), subnet(3)];
    for (const st of [data, ...pipelines])
      for (const fn of Object.values(s.template(st).findResources('AWS::Lambda::Function')) as any[])
        expect(fn.Properties.VpcConfig).toEqual({ SubnetIds: subnets, SecurityGroupIds: SG });
    const workflow = JSON.stringify(s.template(pipelines[0]!).toJSON());
    expect(workflow).toContain(`\\"Subnets\\":[\\"${subnets.join('\\",\\"')}\\"]`);
    expect(workflow).not.toContain(subnet(4));
  });

  it('creates an S3 gateway endpoint on each route table of those subnets once, and one interface endpoint per service the functions call', () => {
    const endpoints = resources('AWS::EC2::VPCEndpoint');
    const gateway = endpoints.find((e) => e.Properties.VpcEndpointType === 'Gateway');
    const others = endpoints.filter((e) => e !== gateway);
    expect(gateway.Properties).toMatchObject({ VpcId: VPC, VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-0000000000000000a', 'rtb-0000000000000000b'] });
    expect(JSON.stringify(gateway.Properties.ServiceName)).toContain('.s3');
    expect(others.map((e) => e.Properties.ServiceName).sort()).toEqual(
      Object.values(INTERFACE_ENDPOINTS)
        .map((n) => `com.amazonaws.${REGION}.${n}`)
        .sort(),
    );
    for (const e of others)
      expect(e.Properties).toMatchObject({ VpcId: VPC, VpcEndpointType: 'Interface', PrivateDnsEnabled: true, SubnetIds: [subnet(1), subnet(2)] });
  });

  it('covers every AWS SDK client a function imports', () => {
    const covered = new Set([...Object.keys(INTERFACE_ENDPOINTS), GATEWAY_ENDPOINT_CLIENT]);
    expect([...clientsOfFunctions()].filter((c) => !covered.has(c))).toEqual([]);
    expect(clientsOfFunctions().size).toBeGreaterThanOrEqual(covered.size);
  });

  it("admits HTTPS to the endpoints from the stage's security groups only, and sends nothing out", () => {
    const [group] = resources('AWS::EC2::SecurityGroup');
    expect(group.Properties.SecurityGroupIngress.map((r: any) => `${r.SourceSecurityGroupId} ${r.IpProtocol} ${r.FromPort}-${r.ToPort}`)).toEqual(
      SG.map((sg) => `${sg} tcp 443-443`),
    );
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });

  it('is deployed before the data stack, whose custom resources run in the VPC', () => {
    const { network: net, data } = s.stages.get('prod')!;
    expect(data.dependencies).toContain(net);
  });

  it("passes aws-cdk-lib's CloudFormation validation, cdk-nag and, as hooks, the Control Tower controls", () => {
    process.env.CDK_VALIDATION = 'true'; // off by default in the tests (test/helpers/setup.ts)
    const app = new App({ context: { ...LOOKUPS, ...FEATURE_FLAGS }, outdir: mkdtempSync(join(tmpdir(), 'network-nag-')) });
    const config = loadConfig({ inline: ENDPOINTS });
    new NetworkStack(app, 'Network', { network: config.stages[0]!.network!, field: 'stages[0].network', env: { account: ACCOUNT, region: REGION } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      expect(() => app.synth()).not.toThrow();
    } finally {
      process.env.CDK_VALIDATION = 'false';
    }
    const net = s.stages.get('prod')!.network!;
    expect(
      hookViolations(
        s.account(s.stages.get('prod')!),
        [net.stackName],
        waivedControls(true).map((w) => ruleFile(w.control)),
      ),
    ).toEqual([]);
  }, 60_000);
});

describe('a VPC looked up by id', () => {
  it('takes the listed subnets when they are in it, and names a subnet that is not', () => {
    const listed = synthPlatform(undefined, { inline: stage({ vpcId: VPC, subnetIds: [subnet(2)], securityGroupIds: SG }), lookups: LOOKUPS });
    const fns = Object.values(listed.template(listed.stages.get('prod')!.data).findResources('AWS::Lambda::Function')) as any[];
    expect(fns.map((f) => f.Properties.VpcConfig.SubnetIds)).toEqual(fns.map(() => [subnet(2)]));
    expect(() => synthPlatform(undefined, { inline: stage({ vpcId: VPC, subnetIds: [subnet(9)], securityGroupIds: SG }), lookups: LOOKUPS })).toThrow(
      `stages[0].network.subnetIds: expected subnets of ${VPC}, got "${subnet(9)}", which is not one of its subnets`,
    );
  });

  it('not yet in the context fails the offline tools, naming the field; the app leaves it to the CDK CLI to look up', () => {
    expect(() => synthPlatform(undefined, { inline: ENDPOINTS, lookups: {} })).toThrow(
      /stages\[0\]\.network\.vpcId: expected vpc-0a1b2c3d4e5f60718 in cdk\.context\.json/,
    );
    const app = new App({ context: FEATURE_FLAGS, outdir: mkdtempSync(join(tmpdir(), 'network-missing-')) });
    buildPlatform(app, loadConfig({ inline: ENDPOINTS }), { nag: false });
    const assembly = app.synth();
    expect(assembly.manifest.missing?.map((m) => m.key)).toEqual([Object.keys(LOOKUPS)[0]]);
  });

  it('is refused without the account and region to look it up in, and endpoints are refused without it', () => {
    expect(() => synthPlatform({ stages: [{ name: 'dev', network: { vpcId: VPC, securityGroupIds: SG } }] })).toThrow(
      /stages\[0\]\.network\.vpcId: expected stage "dev" to name its account and region/,
    );
    expect(() => synthPlatform(stage({ subnetIds: [subnet(1)], securityGroupIds: SG, endpoints: true }))).toThrow(
      /stages\[0\]\.network\.endpoints: expected a vpcId/,
    );
    expect(() => synthPlatform(stage({ securityGroupIds: SG }))).toThrow(/stages\[0\]\.network\.subnetIds: expected subnetIds, or a vpcId/);
  });
});
