import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { SAGEMAKER_VPC_ACTIONS } from '../../lib/constructs/sagemaker-execution-role';
import { playStory, type StoryResult } from '../../tools/simulate/story';
import { redundantStatements } from '../helpers/least-privilege';
import { describeWithMlPython } from '../helpers/ml-python';

const ROOT = join(__dirname, '..', '..');
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60719'];
const GROUPS = ['sg-0c1d2e3f4a5b6c7d8'];

/**
 * VPC mode (#18 item 3, SageMaker part): `examples/landing-zone.json` puts its stage in two
 * subnets; the whole story plays with every job and the served model attached to them, SageMaker's
 * network-interface calls authorized as each role, under the organization's path and prefix.
 */
let story: StoryResult;

describeWithMlPython('npm run simulate in VPC mode (examples/landing-zone.json)', () => {
  beforeAll(async () => {
    story = await playStory({ configFile: join(ROOT, 'examples', 'landing-zone.json'), dataFile: join(ROOT, 'examples', 'churn.csv') });
  }, 120_000);

  it('runs every SageMaker job and the model in the stage’s subnets, with its security groups', () => {
    const definitions = story.cloud.account
      .resourcesOfType('AWS::StepFunctions::StateMachine')
      .map((m) => JSON.parse(story.cloud.account.resolve(m.properties.DefinitionString, m.stack)) as { States: Record<string, any> });
    const vpcConfigs = definitions.flatMap((d) =>
      Object.values(d.States).flatMap((s) => [s.Parameters?.NetworkConfig?.VpcConfig, s.Parameters?.VpcConfig].filter((x) => x !== undefined)),
    );
    // Preprocess, train, evaluate; the drift check; the model (CreateModel).
    expect(vpcConfigs.length).toBeGreaterThanOrEqual(5);
    for (const v of vpcConfigs) expect(v).toEqual({ Subnets: SUBNETS, SecurityGroupIds: GROUPS });
  });

  it('plays the whole lifecycle with 0 denied, SageMaker creating the network interfaces as each role', () => {
    expect(story.steps.promotion).toMatchObject({ status: 'SUCCEEDED', comparison: { decision: 'promote' } });
    const decisions = story.cloud.authorizer.decisions;
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
    const network = decisions.filter((d) => d.request.action === 'ec2:CreateNetworkInterface' && d.request.via.startsWith('SageMaker'));
    const roles = new Set(
      network.map((d) =>
        d.request.principal
          .split('/')
          .pop()!
          .replace(/-[A-Z0-9]+$/, ''),
      ),
    );
    expect([...roles].sort()).toEqual(['wl-ml-acmeprodchurn-SageMakerExecutionRole', 'wl-ml-acmeprodchurn-SageMakerModelRole'].sort());
    expect(network.every((d) => d.request.principal.includes(':role/workloads/ml/wl-ml-'))).toBe(true);
    expect(story.unexercised.filter((g) => !g.reason)).toEqual([]);
  });

  it('runs every function in the subnets too, CDK’s helpers included, each role allowed to attach it when Lambda creates it (CT.LAMBDA.PR.3)', () => {
    const account = story.cloud.account;
    const functions = account.resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBe(11);
    for (const f of functions) expect(f.properties.VpcConfig, f.logicalId).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: GROUPS });
    const attached = story.cloud.authorizer.decisions.filter(
      (d) => d.request.via.endsWith('in the VPC (at creation)') && d.request.action === 'ec2:CreateNetworkInterface',
    );
    expect(new Set(attached.map((d) => d.request.via)).size).toBe(11);
    expect(attached.every((d) => d.allowed)).toBe(true);
    // Lambda checks the role when it creates the function: each function waits for the policy.
    for (const f of functions)
      expect((account.template(f.stack).Resources[f.logicalId].DependsOn as string[]).some((d) => d.startsWith('FunctionsInVpc'))).toBe(true);
  });

  it('needs its network grants: without one, SageMaker cannot attach a job or the model, or Lambda a function', async () => {
    const network = story.cloud.authorizer.decisions.filter((d) => (SAGEMAKER_VPC_ACTIONS as readonly string[]).includes(d.request.action));
    const { tried, redundant } = await redundantStatements(story.cloud.account, network);
    // The two SageMaker roles' statements, and the functions' managed policy as each of the 11 function roles.
    expect(tried).toBe(13);
    expect(redundant).toEqual([]);
  });
});
