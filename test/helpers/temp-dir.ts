import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: every temporary file of the run (synth outdirs with their asset copies,
 * SageMaker job folders of the offline cloud, python scratch) goes under one directory, removed
 * when the run ends. The forked workers inherit TMPDIR, which os.tmpdir() and python read. Without
 * it each `npm test` left about a gigabyte behind, and a day of runs filled the disk.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
