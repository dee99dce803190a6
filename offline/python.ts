import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python3 with pandas 1.5 / scikit-learn 1.2 / xgboost 1.7 (the SageMaker containers' versions). */
export const PYTHON = process.env.ML_PYTHON ?? '/usr/bin/python3';
export const ML = join(__dirname, '..', 'ml');

/** The one command that installs the libraries on Debian/Ubuntu (CI's way; README "Testing" gives the virtualenv way). */
export const ML_PYTHON_INSTALL = 'sudo apt-get install -y python3-pandas python3-sklearn python3-xgboost';

let checked: { problem?: string } | undefined;

/** Why {@link PYTHON} cannot run ml/*.py (no interpreter, or a library missing), or undefined when it can. Checked once per process. */
export function mlPythonProblem(): string | undefined {
  if (!checked) {
    const r = spawnSync(PYTHON, ['-c', 'import pandas, sklearn, xgboost'], { encoding: 'utf8' });
    const missing = /No module named '([^']+)'/.exec(r.stderr ?? '')?.[1];
    checked = r.error
      ? { problem: `${PYTHON} was not found (set ML_PYTHON to a python3 with pandas, scikit-learn and xgboost)` }
      : r.status !== 0
        ? { problem: `${PYTHON} cannot import ${missing ?? 'pandas, scikit-learn or xgboost'}` }
        : {};
  }
  return checked.problem;
}

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
