import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/temp-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default leaves a core free (one worker on 2 cores); the suite waits mostly on python and synth, so use them all.
    maxWorkers: Math.max(2, availableParallelism()),
    // One module cache per worker: aws-cdk-lib loads once, not once per file (npm test 63 s → 42 s).
    // setup.ts resets the environment before every file; the suite passes with --sequence.shuffle.
    isolate: false,
    // The default reporter, then one block naming the suites skipped for want of the ML libraries (and how to enable them).
    reporters: ['default', './test/helpers/ml-python-reporter.ts'],
    snapshotFormat: { escapeString: false, printBasicPrototype: false },
  },
});
