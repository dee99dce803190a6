import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { SAGEMAKER_VPC_ACTIONS } from '../../lib/constructs/sagemaker-execution-role';
import { playStory, type StoryResult } from '../../tools/simulate/story';
import { redundantStatements } from '../helpers/least-privilege';
import { describeWithMlPython } from '../helpers/ml-python';

const ROOT = join(__dirname, '..', '..');
const NETWORK = JSON.parse(readFileSync(join(ROOT, 'examples', 'landing-zone.json'), 'utf8')).stages[0].network as {
  subnetIds: string[];
  securityGroupIds: string[];
};
const SUBNETS = NETWORK.subnetIds;
const GROUPS = NETWORK.securityGroupIds;

/** Every state of a definition, those in Parallel branches and Map iterators included. */
const allStates = (d: { States: Record<string, any> }): Record<string, any>[] =>
  Object.values(d.States).flatMap((s) => [
    s,
    ...(s.Branches ?? []).flatMap(allStates),
    ...(s.Iterator ? allStates(s.Iterator) : []),
    ...(s.ItemProcessor ? allStates(s.ItemProcessor) : []),
  ]);

/**
 * VPC mode (#18 item 3): `examples/landing-zone.json` puts its stage in two subnets; the whole
 * story plays with every job, the served model and every function attached to them, SageMaker's
 * and Lambda's network-interface calls authorized as each role, under the organization's path and
 * prefix.
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
    const creates = definitions.flatMap(allStates).filter((s) => /:(createProcessingJob|createTrainingJob|createModel)(\.sync)?$/.test(String(s.Resource)));
    // Preprocess, train, evaluate; the drift check; the model (CreateModel): every one of them.
    expect(creates.length).toBeGreaterThanOrEqual(5);
    for (const s of creates)
      expect(s.Parameters.NetworkConfig?.VpcConfig ?? s.Parameters.VpcConfig, s.Resource).toEqual({ Subnets: SUBNETS, SecurityGroupIds: GROUPS });
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
