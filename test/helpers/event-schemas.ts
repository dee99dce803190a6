import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * EventBridge event schemas from the schema registry, as shipped in @aws-cdk/aws-service-spec
 * (`db.json.gz`: entities `event` and `eventTypeDefinition`). Used to check that the event
 * fixtures have the fields AWS says the events have, with the right types.
 */
type Json = Record<string, any>;
let db: { events: Json[]; types: Map<string, Json> } | undefined;

function load() {
  if (db) return db;
  const schema = JSON.parse(gunzipSync(readFileSync(require.resolve('@aws-cdk/aws-service-spec/db.json.gz'))).toString('utf8')).schema;
  db = { events: schema.event.entities, types: new Map(schema.eventTypeDefinition.entities.map((t: Json) => [t.$id, t])) };
  return db;
}

function check(value: unknown, type: Json, path: string, problems: string[]): void {
  const { types } = load();
  switch (type.type) {
    case 'ref': {
      const def = types.get(type.reference.$ref)!;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${path}: expected an object`);
      for (const [name, p] of Object.entries(def.properties as Record<string, Json>)) {
        const v = (value as Json)[name];
        if (v === undefined) {
          if (p.required) problems.push(`${path}.${name}: required by the schema, missing`);
          continue;
        }
        check(v, p.type, `${path}.${name}`, problems);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) return void problems.push(`${path}: expected an array`);
      for (const [i, v] of value.entries()) check(v, type.element, `${path}[${i}]`, problems);
      return;
    case 'string':
      if (typeof value !== 'string') problems.push(`${path}: expected a string`);
      return;
    case 'number':
    case 'integer':
      if (typeof value !== 'number') problems.push(`${path}: expected a number`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: expected a boolean`);
      return;
    default:
      return; // json / union: any value
  }
}

/** Problems of `event.detail` against the registry schema of its source and detail-type (none = conforms). */
export function eventSchemaProblems(event: Json): string[] {
  const def = load().events.find((e) => e.source === event.source && e.detailType === event['detail-type']);
  if (!def) return [`no schema for ${event.source} "${event['detail-type']}"`];
  const problems: string[] = [];
  check(event.detail, { type: 'ref', reference: def.rootProperty }, 'detail', problems);
  return problems;
}
