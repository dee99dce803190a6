import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * CloudFormation resource schemas from the registry, as shipped in @aws-cdk/aws-service-spec
 * (`db.json.gz`: `resource` and `typeDefinition`): property names, required properties and
 * types. An independent check of synthesized templates, beside aws-cdk-lib's own validation.
 */
type Json = Record<string, any>;
interface Db {
  resources: Map<string, Json>;
  types: Map<string, Json>;
}
let db: Db | undefined;
function load(): Db {
  if (db) return db;
  const schema = JSON.parse(gunzipSync(readFileSync(require.resolve('@aws-cdk/aws-service-spec/db.json.gz'))).toString('utf8')).schema;
  db = {
    resources: new Map(schema.resource.entities.map((r: Json) => [r.cloudFormationType, r])),
    types: new Map(schema.typeDefinition.entities.map((t: Json) => [t.$id, t])),
  };
  return db;
}

/** `{ Ref }`, `{ "Fn::…" }`: a value CloudFormation computes at deploy time, of any type. */
const isIntrinsic = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::\w+)$/.test(Object.keys(v)[0]!);

function check(value: unknown, type: Json, path: string, problems: string[]): void {
  if (isIntrinsic(value)) return;
  const fail = (what: string): void => {
    problems.push(`${path}: expected ${what}, got ${JSON.stringify(value)?.slice(0, 80)}`);
  };
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string') fail('a string');
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))) fail('a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') fail('a boolean');
      return;
    case 'json':
      return;
    case 'tag':
      if (!value || typeof value !== 'object' || !('Key' in value) || !('Value' in value)) fail('a tag {Key, Value}');
      return;
    case 'array':
      if (!Array.isArray(value)) fail('an array');
      else for (const [i, v] of value.entries()) check(v, type.element, `${path}[${i}]`, problems);
      return;
    case 'map':
      if (!value || typeof value !== 'object' || Array.isArray(value)) fail('a map');
      else for (const [k, v] of Object.entries(value)) check(v, type.element, `${path}.${k}`, problems);
      return;
    case 'union': {
      const ok = (type.types as Json[]).some((t) => {
        const p: string[] = [];
        check(value, t, path, p);
        return p.length === 0;
      });
      if (!ok) fail(`one of ${(type.types as Json[]).map((t) => t.type).join(' | ')}`);
      return;
    }
    case 'ref': {
      const def = load().types.get(type.reference.$ref)!;
      checkObject(value, def.properties, path, problems);
      return;
    }
    default:
      problems.push(`${path}: unknown schema type ${type.type}`);
  }
}

function checkObject(value: unknown, properties: Record<string, Json>, path: string, problems: string[]): void {
  if (isIntrinsic(value)) return;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${path}: expected an object`);
  for (const [name, v] of Object.entries(value)) {
    const p = properties[name];
    if (!p) problems.push(`${path}.${name}: not a property in the registry schema`);
    else check(v, p.type, `${path}.${name}`, problems);
  }
  for (const [name, p] of Object.entries(properties))
    if (p.required && !(name in (value as Json))) problems.push(`${path}.${name}: required by the registry schema, missing`);
}

/** Problems of every resource of a template against its registry schema; custom resources (no schema) are listed apart. */
export function templateSchemaProblems(template: Json): { problems: string[]; checked: number; unchecked: string[] } {
  const problems: string[] = [];
  const unchecked: string[] = [];
  let checked = 0;
  for (const [id, r] of Object.entries(template.Resources as Record<string, Json>)) {
    const schema = load().resources.get(r.Type);
    if (!schema) {
      unchecked.push(`${id} (${r.Type})`);
      continue;
    }
    checked++;
    checkObject(r.Properties ?? {}, schema.properties, `${id} (${r.Type})`, problems);
  }
  return { problems, checked, unchecked };
}
