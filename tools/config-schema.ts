import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA_FILE, configFileJsonSchema } from '../lib/config/json-schema';

/** Writes config.schema.json from the zod schema (`npm run config-schema`); a test fails while it is out of date. */
const file = join(__dirname, '..', CONFIG_SCHEMA_FILE);
writeFileSync(file, `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
