import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, configFileJsonSchema } from '../../lib/config/json-schema';
import { loadConfig } from '../../lib/config/load';

/** config.schema.json is generated from the zod schema and stays so (#19 item 2): editors complete and check config files with it. */
const ROOT = join(__dirname, '..', '..');

describe('config.schema.json', () => {
  it('is what `npm run config-schema` generates from the zod schema now (run it after a schema change)', () => {
    expect(JSON.parse(readFileSync(join(ROOT, CONFIG_SCHEMA_FILE), 'utf8'))).toEqual(configFileJsonSchema());
  });

  it('describes files as layers: nothing required at the top, a pipeline by name alone, every field the loader knows', () => {
    const s = configFileJsonSchema() as any;
    expect(s.required).toBeUndefined();
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.pipelines.items.anyOf[0]).toMatchObject({ type: 'string' });
    expect(s.properties.pipelines.items.anyOf[1].required).toEqual(['name']);
    expect(Object.keys(s.properties.pipelines.items.anyOf[1].properties)).toEqual(
      expect.arrayContaining(['schema', 'dataset', 'training', 'evaluation', 'deployment']),
    );
    expect(Object.keys(s.properties.stages.items.properties)).toEqual(expect.arrayContaining(['name', 'autoApprove', 'overrides']));
  });

  it('refuses, as the loader does, a network with neither subnets nor a VPC, and endpoints without a VPC (the zod refinements, written out)', () => {
    const validate = new Ajv2020({ strict: false }).compile(configFileJsonSchema());
    const withNetwork = (network: object) => ({ stages: [{ name: 'prod', account: '333333333333', region: 'eu-west-1', network }] });
    const [subnetIds, securityGroupIds, vpcId] = [['subnet-0a1b2c3d4e5f60718'], ['sg-0c1d2e3f4a5b6c7d8'], 'vpc-0a1b2c3d4e5f60718'];
    const cases = [
      { network: { subnetIds, securityGroupIds }, valid: true },
      { network: { vpcId, securityGroupIds, endpoints: true }, valid: true },
      { network: { subnetIds, securityGroupIds, endpoints: false }, valid: true },
      { network: { securityGroupIds }, valid: false },
      { network: { subnetIds, securityGroupIds, endpoints: true }, valid: false },
    ];
    for (const c of cases) {
      expect(validate(withNetwork(c.network)), JSON.stringify(c.network)).toBe(c.valid);
      if (c.valid) expect(() => loadConfig({ inline: withNetwork(c.network) })).not.toThrow();
      else expect(() => loadConfig({ inline: withNetwork(c.network) })).toThrow(/stages\[0\]\.network/);
    }
  });

  it('is referenced by every example, which the loader accepts with its "$schema" key', () => {
    for (const f of readdirSync(join(ROOT, 'examples')).filter((x) => x.endsWith('.json'))) {
      const file = join(ROOT, 'examples', f);
      expect(JSON.parse(readFileSync(file, 'utf8')).$schema, f).toBe(`../${CONFIG_SCHEMA_FILE}`);
      expect(() => loadConfig({ file }), f).not.toThrow();
    }
  });

  it("keeps the README's config reference true: every field it names exists, and every stage and pipeline field is named (#19 item 2)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| field '), readme.indexOf('\n\n', readme.indexOf('| field ')));
    // First cells: `stages[].name` / `account` / `region` → stages[].name, stages[].account, stages[].region
    const paths = table
      .split('\n')
      .slice(2)
      .flatMap((row) => {
        const names = [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
        const base = names[0]!.replace(/[^.\]]+$/, '');
        return [names[0]!, ...names.slice(1).map((n) => `${base}${n}`)];
      });
    const s = configFileJsonSchema() as any;
    const resolve = (path: string) =>
      path.split('.').reduce<any>((node, part) => {
        const [key, array] = [part.replace('[]', ''), part.endsWith('[]')];
        const props = node?.properties ?? node?.anyOf?.find((x: any) => x.properties)?.properties;
        const next = props?.[key];
        return array ? (next?.items?.anyOf?.find((x: any) => x.properties) ?? next?.items) : next;
      }, s);
    for (const p of paths) expect(resolve(p), p).toBeDefined();
    const named = new Set(paths);
    const stageFields = Object.keys(s.properties.stages.items.properties).map((k) => `stages[].${k}`);
    const pipelineFields = Object.keys(s.properties.pipelines.items.anyOf[1].properties).map((k) => `pipelines[].${k}`);
    expect([...stageFields, ...pipelineFields].filter((f) => !named.has(f))).toEqual([]);
  });
});
