import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

/**
 * The lifecycle event schemas as the data stack publishes them (AWS::EventSchemas::Schema,
 * JSONSchemaDraft4), compiled by a JSON Schema draft-04 validator: an event the platform emits is
 * checked against what the registry gives consumers, not against the zod schemas it came from.
 */
export function publishedSchemas(dataTemplate: Json) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const byDetailType = new Map<string, ReturnType<typeof ajv.compile>>();
  const names: string[] = [];
  for (const r of Object.values(dataTemplate.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::EventSchemas::Schema')) {
    const content = JSON.parse(r.Properties.Content as string) as Json;
    byDetailType.set(content.properties['detail-type'].enum[0], ajv.compile(content));
    names.push(r.Properties.SchemaName as string);
  }
  return {
    names,
    detailTypes: [...byDetailType.keys()],
    /** Problems of one event against the schema of its detail-type (none: it conforms). */
    problems(event: Json): string[] {
      const validate = byDetailType.get(event['detail-type']);
      if (!validate) return [`no published schema for detail-type "${event['detail-type']}"`];
      return validate(event) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    },
  };
}
