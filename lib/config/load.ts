import { deepMerge, isPlainObject } from './merge';
import { overrideProblems } from './stages';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as z from 'zod';
import { DEFAULT_CONFIG } from './defaults';
import { configSchema, type PlatformConfig } from './schema';

/** Thrown for a configuration that cannot be used; `problems` has one line per bad field. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Where configuration overrides come from (see README "Configuration"). */
export interface ConfigSources {
  /** Path of a JSON file (`-c config=path/to/file.json`). */
  readonly file?: string;
  /** An object from the `mlops` key of cdk.json context, applied after the file. */
  readonly inline?: unknown;
}

/**
 * Defaults, then the file, then inline context; objects merge, arrays and scalars replace, except
 * that a layer's `pipelines` may name the pipelines of the layers below: a string keeps that
 * pipeline as it is, an object with one of their names and no `schema` is merged over it; any
 * other object (a new pipeline, or a full one with its schema) stands as it is.
 */
export function loadConfig(sources: ConfigSources = {}): PlatformConfig {
  let merged: unknown = DEFAULT_CONFIG;
  const names = ['defaults'];
  if (sources.file !== undefined) {
    merged = mergeLayer(merged, readJson(sources.file), sources.file);
    names.push(sources.file);
  }
  if (sources.inline !== undefined) {
    merged = mergeLayer(merged, sources.inline, 'cdk.json context "mlops"');
    names.push('cdk.json context "mlops"');
  }
  return parseConfig(merged, names.join(' + '));
}

/** One layer over the config below it, its `pipelines` resolved by name against the pipelines below. */
function mergeLayer(base: unknown, over: unknown, source: string): unknown {
  const merged = deepMerge(base, over);
  if (!isPlainObject(over) || !Array.isArray(over.pipelines) || !isPlainObject(merged)) return merged;
  const below = new Map((isPlainObject(base) && Array.isArray(base.pipelines) ? base.pipelines : []).filter(isPlainObject).map((p) => [p.name, p] as const));
  const problems: string[] = [];
  const pipelines = over.pipelines.map((p, i) => {
    if (typeof p === 'string') {
      if (!below.has(p)) problems.push(`pipelines[${i}]: "${p}" names no pipeline to keep (there are: ${[...below.keys()].join(', ') || 'none'})`);
      return below.get(p) ?? p;
    }
    // Only a partial pipeline (no schema, which a full one must have) is merged: a full one replaces, as it always did.
    return isPlainObject(p) && below.has(p.name) && !('schema' in p) ? deepMerge(below.get(p.name), p) : p;
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { ...merged, pipelines };
}

/** Validates a complete configuration object; throws {@link ConfigError} naming every bad field. */
export function parseConfig(input: unknown, source = 'config'): PlatformConfig {
  const result = configSchema.safeParse(input);
  if (result.success) {
    const problems = overrideProblems(result.data, describeIssue);
    if (problems.length === 0) return result.data;
    throw new ConfigError(source, problems);
  }
  throw new ConfigError(
    source,
    result.error.issues.flatMap((issue) => describeIssue(issue, input)),
  );
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [`not valid JSON: ${jsonErrorWhere((e as Error).message, text)}`]);
  }
}

/**
 * A JSON.parse message with the line and column of its character position and that line's text
 * (Node 20 gives only the position; Node 22 adds "(line L column C)": both become one form).
 */
function jsonErrorWhere(message: string, text: string): string {
  const at = /at position (\d+)/.exec(message);
  const position = at ? Number(at[1]) : /Unexpected end of JSON input/.test(message) ? text.length : undefined;
  if (position === undefined) return message;
  const before = text.slice(0, position).split('\n');
  const line = before.length;
  const column = before.at(-1)!.length + 1;
  const source = (text.split('\n')[line - 1] ?? '').replace(/\s+$/, '');
  const what = message.replace(/ at position \d+/, '').replace(/ \(line \d+ column \d+\)/, '');
  return `${what} at line ${line}, column ${column}: ${JSON.stringify(source.length > 120 ? `${source.slice(0, 119)}…` : source)}`;
}

/** `pipelines[0].training.instanceType` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(root)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let cur: unknown = input;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as object))) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return { found: true, value: cur };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field (check the spelling against the README's config reference)`);
  }
  const at = valueAt(input, issue.path);
  // Cross-field rules run after defaults are applied: a rule marks issues on a field that holds its default.
  const defaulted = issue.code === 'custom' && (issue.params as { defaulted?: boolean } | undefined)?.defaulted;
  const got = at.found ? `, got ${JSON.stringify(at.value)}` : defaulted ? ' (not set, so its default applies)' : ', but it is missing';
  const message = issue.message.replace(/^Invalid input: /, '');
  return [`${formatPath(issue.path)}: ${message}${got}`];
}
