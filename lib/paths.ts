import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The project root (the folder with cdk.json), found from this file's location so it holds both
 * when lib/ runs from source (tests, tsx) and from the one-file bundle bin/synth.js builds.
 */
function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdk.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no cdk.json above ${start}`);
  }
}

export const PROJECT_ROOT = findRoot(resolve(__dirname));
