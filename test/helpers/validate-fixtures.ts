import { memoryLogger } from '../../lambdas/shared/logger';
import type { ValidateTask } from '../../lambdas/validate-dataset/schema';
import { DEFAULT_IGNORE } from '../../lib/config/schema';
import { MemoryObjectStore } from '../../offline/memory-store';

/** Datasets, tasks and dependencies of the validation function's logic tests. */
export const LANDING = 'landing';
export const ARTIFACTS = 'artifacts';
export const COLUMNS = ['label', 'f1', 'f2'];
export const rows = (n: number, start = 0) => Array.from({ length: n }, (_, i) => `${(i + start) % 2},${i * 0.5},${i * 2}`).join('\n');
export const csv = (n: number, header = COLUMNS.join(',')) => `${header}\n${rows(n)}\n`;

export function task(datasetId = 'd1', singleObject = false): ValidateTask {
  return {
    input: {
      pipeline: 'churn',
      bucket: LANDING,
      datasetId,
      prefix: singleObject ? `churn/${datasetId}` : `churn/${datasetId}/`,
      singleObject,
      reason: 'data-drop',
    },
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:mlops-dev-churn-training:churn-d1-abc',
    startTime: '2026-11-22T10:00:00.000Z',
  };
}

export function setup(rules: Partial<{ minRows: number; maxBytes: number; maxObjects: number; headBytes: number }> = {}) {
  const store = new MemoryObjectStore();
  const log = memoryLogger();
  const deps = {
    store,
    log,
    rules: { columns: COLUMNS, label: 'label', minRows: 20, maxBytes: 1_000_000, maxObjects: 10, headBytes: 4096, ignore: [...DEFAULT_IGNORE], ...rules },
    artifactsBucket: ARTIFACTS,
    resourcePrefix: 'mlops-dev-churn',
    quarantinePrefix: 'quarantine',
    now: () => new Date('2026-11-22T10:01:00Z'),
  };
  return { store, log, deps };
}
