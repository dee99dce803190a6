// A namespace import lets esbuild tree-shake zod (see the schema modules).
import * as z from 'zod';
import { MisconfiguredError } from './errors';

/** Reads a required environment variable that the Lambda runtime sets (AWS_REGION), naming it when absent. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MisconfiguredError(`environment variable ${name} is not set`);
  return value;
}

/** Variable kinds of a function's environment contract: every value arrives as a string. */
export const envText = () => z.string().min(1, 'is empty');
export const envNumber = () =>
  z
    .string()
    .min(1, 'is empty')
    .regex(/^-?\d+(\.\d+)?$/, 'is not a decimal number')
    .transform(Number);
export const envBoolean = () => z.enum(['true', 'false']).transform((v) => v === 'true');
export const envJson = <T extends z.ZodType>(inner: T) =>
  z
    .string()
    .min(1, 'is empty')
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(inner);

// biome-ignore lint/suspicious/noExplicitAny: any zod shape
export type EnvSchema = z.ZodObject<Record<string, z.ZodType<any, string>>>;

/** The values a construct sets for a function's environment: one string per variable of its contract. */
export type EnvValues<S extends EnvSchema> = { readonly [K in keyof S['shape']]: string };

/**
 * Parses a function's environment with its contract, naming every missing or malformed
 * variable (MisconfiguredError). The result is kept while the variables stay the same, so a
 * Lambda parses once per execution environment (its cold start).
 */
export function envReader<S extends EnvSchema>(schema: S): (env?: NodeJS.ProcessEnv) => z.output<S> {
  let last: { key: string; value: z.output<S> } | undefined;
  return (env = process.env) => {
    const raw = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k]]));
    const key = JSON.stringify(raw);
    if (last?.key !== key) {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => {
          const name = String(i.path[0]);
          return `environment variable ${name} ${raw[name] === undefined ? 'is not set' : `is not valid${i.path.length > 1 ? ` at ${i.path.slice(1).join('.')}` : ''}: ${i.message}`}`;
        });
        throw new MisconfiguredError([...new Set(problems)].join('; '));
      }
      last = { key, value: parsed.data };
    }
    return last.value;
  };
}
