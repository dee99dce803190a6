import { MisconfiguredError } from './errors';

/** Reads a required environment variable, naming it when absent. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MisconfiguredError(`environment variable ${name} is not set`);
  return value;
}

export function requireNumberEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(requireEnv(name, env));
  if (!Number.isFinite(value)) throw new MisconfiguredError(`environment variable ${name} is not a number`);
  return value;
}
