import type { Template } from 'aws-cdk-lib/assertions';

/** Placeholder values for CloudFormation references in a definition (stable and readable). */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111122223333',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Resolves a synthesized value (`Fn::Join` of strings, `Ref`, `Fn::GetAtt`, `Fn::ImportValue`,
 * `Fn::FindInMap`) to a plain string with placeholder ARNs.
 */
export function resolveCfn(value: unknown, template: Record<string, any>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((x) => resolveCfn(x, template)).join(v['Fn::Join'][0]);
  if (v.Ref) {
    if (PSEUDO[v.Ref]) return PSEUDO[v.Ref]!;
    const resource = template.Resources?.[v.Ref];
    // Ref of an alarm is its name (CloudFormation's return value).
    if (resource?.Type === 'AWS::CloudWatch::Alarm') return String(resource.Properties.AlarmName ?? v.Ref);
    if (resource?.Type === 'AWS::StepFunctions::StateMachine')
      return `arn:aws:states:eu-west-1:111122223333:stateMachine:${resource.Properties.StateMachineName ?? v.Ref}`;
    return placeholderArn(resource?.Type ?? 'Unknown', v.Ref);
  }
  if (v['Fn::GetAtt']) {
    const [id] = v['Fn::GetAtt'] as [string, string];
    const resource = template.Resources?.[id];
    if (resource?.Type === 'AWS::CloudWatch::Alarm') return `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${resource.Properties.AlarmName ?? id}`;
    return placeholderArn(resource?.Type ?? 'Unknown', id);
  }
  if (v['Fn::ImportValue']) return `arn:aws:kms:eu-west-1:111122223333:key/${resolveCfn(v['Fn::ImportValue'], template)}`;
  if (v['Fn::FindInMap']) {
    const [map, k1, k2] = (v['Fn::FindInMap'] as unknown[]).map((x) => resolveCfn(x, template));
    return String(template.Mappings[map!][k1!][k2!]);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)}`);
}

function placeholderArn(type: string, id: string): string {
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:eu-west-1:111122223333:function:${id}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::111122223333:role/${id}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:eu-west-1:111122223333:${id}`;
    default:
      return `arn:aws:${type.split('::')[1]?.toLowerCase() ?? 'x'}:eu-west-1:111122223333:${id}`;
  }
}

export interface ExtractedStateMachine {
  readonly logicalId: string;
  readonly definition: Record<string, any>;
}

/** Every state machine of a template, with its definition resolved to plain ASL. */
export function stateMachines(template: Template): ExtractedStateMachine[] {
  const json = template.toJSON();
  return Object.entries(json.Resources as Record<string, any>)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, r]) => ({ logicalId, definition: JSON.parse(resolveCfn(r.Properties.DefinitionString, json)) }));
}

/** Environment variables of the function whose name ends with `-<suffix>`, resolved to strings. */
export function functionEnv(template: Template | Record<string, any>, suffix: string): NodeJS.ProcessEnv {
  const json: Record<string, any> = typeof template.toJSON === 'function' ? (template as Template).toJSON() : template;
  const fn = Object.values(json.Resources as Record<string, Record<string, any>>).find(
    (r) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties.FunctionName === 'string' && r.Properties.FunctionName.endsWith(`-${suffix}`),
  );
  if (!fn) throw new Error(`no function *-${suffix} in the template`);
  const vars = Object.fromEntries(Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, resolveCfn(v, json)]));
  return { ...vars, AWS_REGION: 'eu-west-1' };
}
