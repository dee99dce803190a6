import { describe, expect, it } from 'vitest';
import { templateSchemaProblems } from '../../offline/cfn-schemas';
import { synthPlatform } from '../../offline/synth';

/**
 * Every CloudFormation resource of every synthesized template, against the registry schemas in
 * @aws-cdk/aws-service-spec: property names, required properties, types. Custom resources
 * (Custom::*, no registry schema) are the only ones left out, and they are named.
 */
describe('templates against the CloudFormation registry schemas', () => {
  it.each([
    ['the default config', undefined],
    ['examples/single-model.json', 'examples/single-model.json'],
    ['examples/two-models-two-stages.json', 'examples/two-models-two-stages.json'],
  ])('%s: every resource conforms', (_name, file) => {
    const s = synthPlatform(undefined, file ? { file } : {});
    let checked = 0;
    for (const stage of s.stages.values()) {
      for (const stack of [stage.data, ...stage.pipelines]) {
        const r = templateSchemaProblems(s.template(stack).toJSON());
        expect(r.problems, stack.stackName).toEqual([]);
        expect(
          r.unchecked.every((u) => /\((Custom::|AWS::CDK::Metadata)/.test(u)),
          r.unchecked.join(', '),
        ).toBe(true);
        checked += r.checked;
      }
    }
    expect(checked).toBeGreaterThan(90);
  });

  it('catches an unknown property, a missing required one and a wrong type', () => {
    const r = templateSchemaProblems({
      Resources: {
        Q: { Type: 'AWS::SQS::Queue', Properties: { QueueNme: 'x', MessageRetentionPeriod: 'soon' } },
        F: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['R', 'Arn'] }, Timeout: 30 } },
      },
    });
    expect(r.problems).toEqual([
      'Q (AWS::SQS::Queue).QueueNme: not a property in the registry schema',
      'Q (AWS::SQS::Queue).MessageRetentionPeriod: expected a number, got "soon"',
      'F (AWS::Lambda::Function).Code: required by the registry schema, missing',
    ]);
  });
});
