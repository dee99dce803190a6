import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ML_PYTHON_INSTALL, mlPythonProblem } from '../../offline/python';
import { REQUIRE_ML_PYTHON } from './ml-python';

const ROOT = join(__dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? testFiles(join(dir, f)) : f.endsWith('.test.ts') ? [join(dir, f)] : []));
}

/** Ends the run with one block naming the suites skipped for want of the ML libraries, and the command that enables them. */
export default class MlPythonReporter {
  onTestRunEnd(): void {
    const problem = mlPythonProblem();
    if (!problem || process.env[REQUIRE_ML_PYTHON] === '1') return;
    const files = testFiles(join(ROOT, 'test')).filter((f) => readFileSync(f, 'utf8').includes('describeWithMlPython('));
    const lines = [
      '',
      `Skipped: the suites that run ml/*.py on real data, because ${problem}:`,
      ...files.map((f) => `  ${relative(ROOT, f)}`),
      `Enable them: ${ML_PYTHON_INSTALL}`,
      '  (or a virtualenv: python3 -m venv .venv && .venv/bin/pip install -r ml/requirements.txt && export ML_PYTHON=$PWD/.venv/bin/python)',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
