import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { GATEWAY_ENDPOINT_CLIENT, INTERFACE_ENDPOINTS, NetworkStack } from '../../lib/stacks/network-stack';
import { stageNetwork } from '../../lib/vpc-network';
import { type Synthesized, synthPlatform } from '../../offline/synth';
import { ACCOUNT, ENDPOINTS, LOOKUPS, REGION, SG, stageWith, subnet, VPC, vpcLookup } from '../helpers/vpc-lookup';

const ROOT = join(__dirname, '..', '..');
/** EC2's characters for a security group's and a rule's description (EC2 API reference, CreateSecurityGroup, IpRange). */
const EC2_DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/;

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

/** One stack in the stage's account and region, with the lookups in its context. */
const lookupStack = (lookups = LOOKUPS) =>
  new Stack(new App({ context: { ...lookups, ...FEATURE_FLAGS } }), 'Probe', { env: { account: ACCOUNT, region: REGION } });
const networkOf = (network: Record<string, unknown>) => loadConfig({ inline: stageWith(network) }).stages[0]!.network!;

/**
 * VPC mode with the VPC looked up by id, and the app creating the stage's VPC endpoints (#18 item
 * 3): the lookup is answered from the context the CDK CLI keeps in cdk.context.json. The same
 * stack's CloudFormation validation, cdk-nag and Control Tower checks: network-stack-compliance.test.ts.
 */
describe('a stage whose network is a VPC looked up by id, with endpoints', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPlatform(undefined, { inline: ENDPOINTS, lookups: LOOKUPS });
  });
  const network = () => s.template(s.stages.get('prod')!.network!);
  const resources = (type: string) => Object.values(network().findResources(type)) as any[];

  it("puts every function and every SageMaker request (jobs, drift check, the served model) in the VPC's private and isolated subnets, not its public one", () => {
    const { data, pipelines } = s.stages.get('prod')!;
    const subnets = [subnet(1), subnet(2), subnet(3)];
    for (const st of [data, ...pipelines])
      for (const fn of Object.values(s.template(st).findResources('AWS::Lambda::Function')) as any[])
        expect(fn.Properties.VpcConfig).toEqual({ SubnetIds: subnets, SecurityGroupIds: SG });
    // Every Subnets list of the pipeline's requests (in state machine definitions and parameters), escaped or not.
    const template = JSON.stringify(s.template(pipelines[0]!).toJSON()).replace(/\\"/g, '"');
    const lists = [...template.matchAll(/"Subnets":(\[[^\]]*\])/g)].map((m) => JSON.parse(m[1]!));
    expect(lists.length).toBeGreaterThanOrEqual(5); // preprocess, train, evaluate, drift check, CreateModel
    for (const l of lists) expect(l).toEqual(subnets);
    // The served model's CreateModel (deployment workflow) among them.
    expect(/aws-sdk:sagemaker:createModel","Parameters":\{[\s\S]{0,400}"VpcConfig":\{"Subnets":\[/.test(template)).toBe(true);
    expect(template.includes(subnet(4))).toBe(false);
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
    // One subnet per zone: the isolated subnet 3 shares eu-west-1a with subnet 1.
    for (const e of others)
      expect(e.Properties).toMatchObject({ VpcId: VPC, VpcEndpointType: 'Interface', PrivateDnsEnabled: true, SubnetIds: [subnet(1), subnet(2)] });
  });

  it('has an endpoint for exactly the AWS SDK clients the functions import', () => {
    expect(clientsOfFunctions()).toEqual(new Set([...Object.keys(INTERFACE_ENDPOINTS), GATEWAY_ENDPOINT_CLIENT]));
  });

  it("admits HTTPS to the endpoints from the stage's security groups only, sends nothing out, and describes it in EC2's characters", () => {
    const [group] = resources('AWS::EC2::SecurityGroup');
    expect(group.Properties.SecurityGroupIngress.map((r: any) => `${r.SourceSecurityGroupId} ${r.IpProtocol} ${r.FromPort}-${r.ToPort}`)).toEqual(
      SG.map((sg) => `${sg} tcp 443-443`),
    );
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const descriptions = [
      group.Properties.GroupDescription,
      ...[...group.Properties.SecurityGroupIngress, ...group.Properties.SecurityGroupEgress].map((r: any) => r.Description),
    ];
    for (const d of descriptions) expect(d).toMatch(EC2_DESCRIPTION);
  });

  it('is deployed before the data stack, whose custom resources run in the VPC', () => {
    const { network: net, data } = s.stages.get('prod')!;
    expect(data.dependencies).toContain(net);
  });
});

describe('a VPC looked up by id', () => {
  it('takes the listed subnets when they are in it, and names a subnet that is not', () => {
    const listed = stageNetwork(lookupStack(), networkOf({ vpcId: VPC, subnetIds: [subnet(2)], securityGroupIds: SG }), 'stages[0].network');
    expect(listed).toMatchObject({ network: { settings: { subnetIds: [subnet(2)], securityGroupIds: SG } }, problems: [] });
    const stranger = stageNetwork(lookupStack(), networkOf({ vpcId: VPC, subnetIds: [subnet(9)], securityGroupIds: SG }), 'stages[0].network');
    expect(stranger.problems).toEqual([`stages[0].network.subnetIds: expected subnets of ${VPC}, got "${subnet(9)}", which is not one of its subnets`]);
  });

  it('with more private subnets than SageMaker takes, or none, asks for subnetIds', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({
      subnetId: `subnet-${String(i).padStart(17, '0')}`,
      availabilityZone: 'eu-west-1a',
      routeTableId: 'rtb-0000000000000000a',
      type: 'Private' as const,
    }));
    const found = (subnets: typeof many) =>
      stageNetwork(lookupStack(vpcLookup(ACCOUNT, REGION, VPC, subnets)), networkOf({ vpcId: VPC, securityGroupIds: SG }), 'f');
    expect(found(many).problems).toEqual([
      `f.vpcId: ${VPC} has 17 private and isolated subnets, SageMaker takes at most 16: list the ones to use in subnetIds`,
    ]);
    expect(found([{ ...many[0]!, type: 'Public' as never }]).problems).toEqual([
      `f.vpcId: expected a VPC with private or isolated subnets, ${VPC} has none (list subnetIds)`,
    ]);
  });

  it('shared by another account (RAM) cannot take endpoints: a problem on endpoints, and none created', () => {
    const shared = vpcLookup(
      ACCOUNT,
      REGION,
      VPC,
      [{ subnetId: subnet(1), availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0000000000000000a', type: 'Private' }],
      '444444444444',
    );
    const app = new App({ context: { ...shared, ...FEATURE_FLAGS } });
    const net = new NetworkStack(app, 'Network', {
      network: networkOf({ vpcId: VPC, securityGroupIds: SG, endpoints: true }),
      field: 'stages[0].network',
      env: { account: ACCOUNT, region: REGION },
    });
    expect(net.problems).toEqual([
      `stages[0].network.endpoints: expected a VPC of account ${ACCOUNT}, ${VPC} is shared by account 444444444444: its owner creates the endpoints (leave endpoints off)`,
    ]);
    expect(net.node.findAll().filter((c) => c instanceof Stack || c.node.id.startsWith('Endpoint'))).toEqual([net]);
  });

  it('not yet in the context fails the offline tools, naming the field and the fix', () => {
    expect(() => synthPlatform(undefined, { inline: ENDPOINTS, lookups: {} })).toThrow(
      /stages\[0\]\.network\.vpcId: expected vpc-0a1b2c3d4e5f60718 in cdk\.context\.json: run `npx cdk synth` once with credentials for account 333333333333/,
    );
  });

  it('is refused without the account and region to look it up in, and endpoints are refused without it', () => {
    expect(() => synthPlatform({ stages: [{ name: 'dev', network: { vpcId: VPC, securityGroupIds: SG } }] })).toThrow(
      /stages\[0\]\.network\.vpcId: expected stage "dev" to name its account and region/,
    );
    expect(() => synthPlatform(stageWith({ subnetIds: [subnet(1)], securityGroupIds: SG, endpoints: true }))).toThrow(
      /stages\[0\]\.network\.endpoints: expected a vpcId/,
    );
    expect(() => synthPlatform(stageWith({ securityGroupIds: SG }))).toThrow(/stages\[0\]\.network\.subnetIds: expected subnetIds, or a vpcId/);
  });
});
