import { ConfigError, parseConfig } from '../../lib/config/load';

/** The problems parseConfig names for `input` (it must reject it). */
export function configProblems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}
