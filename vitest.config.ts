import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The integration tier: the end-to-end offline stories, the synthesized workflows run in the ASL
 * interpreter, the tests at configured maxima (`*scale`), and the whole-app compliance checks
 * (cdk-nag and aws-cdk-lib's validation on every example, the CloudFormation registry schemas, the
 * service authorization reference, the Control Tower controls, the landing-zone network).
 * `npm test`, the everyday loop (goal ≤ 45 s on 2 cores), runs the `unit` project;
 * `npm run test:all`, what CI runs, runs both (README "Testing").
 */
const INTEGRATION = [
  'test/simulate/**/*.test.ts',
  'test/workflows/**/*.test.ts',
  'test/stacks/cdk-nag.test.ts',
  'test/stacks/control-tower.test.ts',
  'test/stacks/network-stack-compliance.test.ts',
  'test/stacks/cfn-registry.test.ts',
  'test/offline/iam-reference.test.ts',
  'test/**/*scale.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
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
