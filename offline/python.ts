import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Runs a script as `python3 SCRIPT ARGS` would, without blocking: independent runs overlap. */
export function python(args: string[], messageFile?: string, extraEnv: Record<string, string> = {}, stdin?: string): Promise<PythonRun> {
  const env = { ...extraEnv, MLOPS_MESSAGE_FILE: messageFile ?? join(mkdtempSync(join(tmpdir(), 'msg-')), 'message') };
  return process.env.MLOPS_PYTHON_FORKSERVER === '0' ? spawnPython(args, env, stdin) : forkServer().run(args, env, stdin);
}

/** A new interpreter per run (MLOPS_PYTHON_FORKSERVER=0). */
function spawnPython(args: string[], env: Record<string, string>, stdin?: string): Promise<PythonRun> {
  return new Promise((done, fail) => {
    const child = spawn(PYTHON, args, { env: { ...process.env, ...env } });
    child.stdin.end(stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

interface ForkServer {
  run(args: string[], env: Record<string, string>, stdin?: string): Promise<PythonRun>;
}
let server: ForkServer | undefined;

/**
 * One long-lived interpreter per process that has pandas, scikit-learn and xgboost imported and
 * forks a child per run (offline/python_forkserver.py): each run keeps its own process, files and
 * exit status, without paying the libraries' import (≈ 0.9 s) again, as a container that stays
 * warm would. The server keeps Node alive only while a run is pending.
 */
function forkServer(): ForkServer {
  if (server) return server;
  // One BLAS thread: the server forks, and a BLAS thread pool does not survive a fork.
  const child = spawn(PYTHON, [join(__dirname, 'python_forkserver.py')], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map<number, (status: number) => void>();
  let buffered = '';
  let nextId = 0;
  const idle = () => {
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    (child.stdin as unknown as { unref(): void }).unref();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const reply = JSON.parse(buffered.slice(0, nl)) as { id: number; status: number };
      buffered = buffered.slice(nl + 1);
      waiting.get(reply.id)?.(reply.status);
      waiting.delete(reply.id);
    }
    if (waiting.size === 0) idle();
  });
  child.on('exit', (code) => {
    server = undefined;
    for (const done of waiting.values()) done(code ?? 1);
  });
  idle();
  server = {
    run(args, env, stdin) {
      const dir = mkdtempSync(join(tmpdir(), 'py-'));
      const files = { stdin: join(dir, 'stdin'), stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
      writeFileSync(files.stdin, stdin ?? '');
      const id = nextId++;
      child.ref();
      (child.stdout as unknown as { ref(): void }).ref();
      return new Promise((done) => {
        waiting.set(id, (status) => done({ status, stdout: readText(files.stdout), stderr: readText(files.stderr) }));
        child.stdin.write(`${JSON.stringify({ id, script: args[0], args: args.slice(1), env, ...files })}\n`);
      });
    },
  };
  return server;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
