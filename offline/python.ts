import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python3 with pandas 1.5 / scikit-learn 1.2 / xgboost 1.7 (the SageMaker containers' versions). */
export const PYTHON = process.env.ML_PYTHON ?? '/usr/bin/python3';
export const ML = join(__dirname, '..', 'ml');

export interface PythonRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script in its own interpreter, without blocking: independent runs overlap. */
export function python(args: string[], messageFile?: string, extraEnv: Record<string, string> = {}, stdin?: string): Promise<PythonRun> {
  const env = { ...process.env, ...extraEnv, MLOPS_MESSAGE_FILE: messageFile ?? join(mkdtempSync(join(tmpdir(), 'msg-')), 'message') };
  return new Promise((done, fail) => {
    const child = spawn(PYTHON, args, { env });
    child.stdin.end(stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
