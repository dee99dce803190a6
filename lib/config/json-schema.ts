import * as z from 'zod';
import { networkSchema } from './organization';
import { configSchema } from './schema';

/** Where `npm run config-schema` writes the schema; config files point at it with "$schema". */
export const CONFIG_SCHEMA_FILE = 'config.schema.json';

type Json = Record<string, unknown>;
type Schema = Json & { required?: string[]; properties: Record<string, Json & { items: Json }> };

/**
 * The JSON Schema of a config file, generated from the zod schema the loader uses (zod 4's
 * toJSONSchema, input side: what one may write). A file is a layer over the defaults, so nothing
 * is required at its top level, and a pipeline may be a string (keep that pipeline) or an object
 * needing only its name (merged over the pipeline of that name without a schema).
 */
export function configFileJsonSchema(): Json {
  const s = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    // The network's refinements, which zod cannot express in JSON Schema: subnets listed or a VPC to find them in; endpoints need the VPC.
    override: (ctx) => {
      if (ctx.zodSchema !== networkSchema) return;
      Object.assign(ctx.jsonSchema, {
        anyOf: [{ required: ['subnetIds'] }, { required: ['vpcId'] }],
        if: { properties: { endpoints: { const: true } }, required: ['endpoints'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
        then: { required: ['vpcId'] },
      });
    },
  }) as unknown as Schema;
  delete s.required;
  const pipelines = s.properties.pipelines!;
  const item = pipelines.items;
  pipelines.items = {
    anyOf: [
      { type: 'string', description: 'The name of a pipeline of the defaults (or of the file below): kept as it is.' },
      { ...item, required: ['name'] },
    ],
  };
  return {
    title: 'MLOps platform configuration (a file deep-merged over the built-in defaults)',
    ...s,
  };
}
