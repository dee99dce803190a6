import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { PROJECT_ROOT } from '../paths';

/** Every function under lambdas/ (except shared/) has a handler.ts. */
export const LAMBDA_ROOT = join(PROJECT_ROOT, 'lambdas');
const BUILD_ROOT = join(PROJECT_ROOT, '.build', 'lambdas');

export const FUNCTION_NAMES = [
  'dataset-trigger',
  'validate-dataset',
  'quality-gate',
  'notify',
  'model-approval',
  'deployment',
  'endpoint-cleanup',
  'retrain',
  'drift-check',
  'promote-model',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

const OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // The Node.js Lambda runtime ships AWS SDK for JavaScript v3.
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  logLevel: 'error',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(name) ? [p] : [];
  });
}

let cached: string | undefined;

/**
 * Bundles all handlers in one esbuild run and returns the output directory, which holds
 * `<function>/index.js`. Output is cached by a hash of the sources and options, so repeated
 * synths (and parallel test workers) reuse it.
 */
export function bundleLambdas(): string {
  if (cached) return cached;
  const hash = createHash('sha256');
  hash.update(JSON.stringify(OPTIONS));
  for (const file of sourceFiles(LAMBDA_ROOT).sort()) hash.update(relative(LAMBDA_ROOT, file)).update(readFileSync(file));
  const outDir = join(BUILD_ROOT, hash.digest('hex').slice(0, 16));
  if (!existsSync(join(outDir, '.complete'))) {
    const tmp = `${outDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    // Loaded only when the cache misses: most synths never need esbuild.
    const { buildSync } = require('esbuild') as typeof import('esbuild');
    buildSync({
      ...OPTIONS,
      entryPoints: Object.fromEntries(FUNCTION_NAMES.map((n) => [`${n}/index`, join(LAMBDA_ROOT, n, 'handler.ts')])),
      outdir: tmp,
    });
    writeFileSync(join(tmp, '.complete'), '');
    mkdirSync(BUILD_ROOT, { recursive: true });
    try {
      renameSync(tmp, outDir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process finished first
    }
  }
  cached = outDir;
  return outDir;
}

/** Directory holding one function's bundle (the Lambda asset). */
export const functionBundleDir = (name: FunctionName): string => join(bundleLambdas(), name);
