import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, EMAILED_KINDS, type FactInput, factDetail, lifecycleSource } from '../../lambdas/shared/lifecycle';
import { synthPlatform } from '../../offline/synth';
import { publishedSchemas } from '../helpers/published-schemas';

/** The lifecycle events' bus, schemas, e-mail rule and grants, and the README's catalogue checked against the published schemas. */
let data: Template;
let pipeline: Template;
beforeAll(() => {
  const s = synthPlatform();
  const dev = s.stages.get('dev')!;
  data = s.template(dev.data);
  pipeline = s.template(dev.pipelines[0]!);
});

const ctx = { project: 'mlops', stage: 'dev', pipeline: 'breast-cancer', region: 'eu-west-1', modelPackageGroup: 'mlops-dev-breast-cancer', eventBus: 'x' };

describe('lifecycle events: data stack', () => {
  it("has the stage's bus and a registry with one draft-04 schema per detail-type, named as EventBridge names discovered schemas", () => {
    data.hasResourceProperties('AWS::Events::EventBus', { Name: 'mlops-dev-lifecycle' });
    data.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'mlops-dev-lifecycle' });
    const schemas = Object.values(data.findResources('AWS::EventSchemas::Schema')) as any[];
    expect(schemas.map((r) => r.Properties.SchemaName).sort()).toEqual(
      Object.values(DETAIL_TYPES)
        .map((d) => `mlops.mlops@${d.replace(/ /g, '')}`)
        .sort(),
    );
    for (const r of schemas) {
      expect(r.Properties.Type).toBe('JSONSchemaDraft4');
      expect(JSON.parse(r.Properties.Content).$schema).toBe('http://json-schema.org/draft-04/schema#');
      // CreateSchema accepts at most 100 000 characters of content (EventBridge Schemas API reference).
      expect(r.Properties.Content.length).toBeLessThan(100_000);
    }
  });
});

describe('lifecycle events: pipeline stack', () => {
  it("e-mails exactly the e-mailed kinds of this pipeline, from the stage's bus, through the notify function", () => {
    const rules = Object.values(pipeline.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventBusName === 'mlops-dev-lifecycle') as any[];
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toEqual({
      source: [lifecycleSource('mlops')],
      'detail-type': EMAILED_KINDS.map((k) => DETAIL_TYPES[k]),
      detail: { stage: ['dev'], pipeline: ['breast-cancer'] },
    });
    const [target] = rules[0].Properties.Targets;
    expect(JSON.stringify(target.Arn)).toContain('NotifyFunction');
    expect(JSON.stringify(target.DeadLetterConfig.Arn)).toContain('ApprovalDeadLetterQueue');
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
  });

  it("lets every announcing function put events only on the stage's bus and only with the project's source", () => {
    const puts = Object.values(pipeline.findResources('AWS::IAM::Policy')).flatMap((p: any) =>
      (p.Properties.PolicyDocument.Statement as any[])
        .filter((s) => [s.Action].flat().includes('events:PutEvents'))
        .map((s) => ({ roles: p.Properties.Roles, s })),
    );
    const roles = puts.map((p) => JSON.stringify(p.roles));
    for (const fn of ['Notify', 'Approval', 'DatasetTrigger', 'Retraining', 'Validate', 'ModelDeploymentDeployment', 'DriftCheckFunction'])
      expect(
        roles.some((r) => r.includes(fn)),
        fn,
      ).toBe(true);
    for (const { s } of puts) {
      expect(JSON.stringify(s.Resource)).toContain(':event-bus/mlops-dev-lifecycle');
      expect(s.Condition).toEqual({ 'ForAllValues:StringEquals': { 'events:source': ['mlops.mlops'] }, Null: { 'events:source': 'false' } });
    }
  });
});

describe("the README's event catalogue", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Lifecycle events'), readme.indexOf('## Monitoring, retraining'));
  const examples = [...section.slice(section.indexOf('<!-- lifecycle-examples')).matchAll(/^([A-Z][A-Za-z ]+):\n\n```json\n([\s\S]+?)\n```$/gm)].map((m) => ({
    detailType: m[1]!,
    fact: JSON.parse(m[2]!) as FactInput,
  }));

  it('lists every detail-type once in its table, with whether it is e-mailed', () => {
    for (const [kind, dt] of Object.entries(DETAIL_TYPES)) {
      const row = section.split('\n').filter((l) => new RegExp(`^\\| ${dt} +\\| \`${kind}\` +\\|`).test(l));
      expect(row, dt).toHaveLength(1);
      const emailed = row[0]!.split('|').map((c) => c.trim())[4];
      expect(emailed, dt).toBe((EMAILED_KINDS as readonly string[]).includes(kind) ? 'yes' : 'no');
    }
  });

  it('gives one example of each detail-type, each valid against the schema the data stack publishes', () => {
    expect(examples.map((e) => e.detailType).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    const schemas = publishedSchemas(data.toJSON());
    for (const { detailType, fact } of examples) {
      const detail = factDetail(fact, ctx);
      // Every field the example shows is one the schema has (parsing would drop an unknown one silently).
      for (const field of Object.keys(fact)) expect(detail, `${detailType}: ${field}`).toHaveProperty(field);
      const event = {
        version: '0',
        id: '1',
        'detail-type': detailType,
        source: 'mlops.mlops',
        account: '111122223333',
        time: '2026-12-02T10:00:00Z',
        region: 'eu-west-1',
        resources: [],
        detail,
      };
      expect(schemas.problems(event), detailType).toEqual([]);
    }
  });
});
