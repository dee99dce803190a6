import { describe, it } from 'vitest';
import { ML_PYTHON_INSTALL, mlPythonProblem } from '../../offline/python';

/** Set by .ci/run: without the ML libraries the suites that need them fail instead of being skipped. */
export const REQUIRE_ML_PYTHON = 'MLOPS_REQUIRE_ML_PYTHON';

/**
 * `describe` for suites that run ml/*.py with python3 and pandas/scikit-learn/xgboost. Without
 * them the suite is skipped (listed at the end of the run with the command that enables it), or,
 * when MLOPS_REQUIRE_ML_PYTHON=1, replaced by one failing test that says what is missing.
 */
export function describeWithMlPython(name: string, fn: () => void, options: { concurrent?: boolean } = {}): void {
  const problem = mlPythonProblem();
  if (!problem) return void (options.concurrent ? describe.concurrent : describe)(name, fn);
  if (process.env[REQUIRE_ML_PYTHON] === '1') {
    return void describe(name, () => {
      it('has python3 with pandas, scikit-learn and xgboost', () => {
        throw new Error(`${problem}. Install them: ${ML_PYTHON_INSTALL}`);
      });
    });
  }
  describe.skip(name, fn);
}
