import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../lambdas/shared/object-store';
import { COPIES_IN_FLIGHT, HEAD_READS_IN_FLIGHT, VALIDATION_TIMEOUT_SECONDS, validationWorstCase } from '../../lambdas/shared/validation-budget';
import { validateDataset } from '../../lambdas/validate-dataset/logic';
import { loadConfig } from '../../lib/config/load';
import { synthPlatform } from '../../offline/synth';
import { csv, LANDING, setup, task } from '../helpers/validate-fixtures';

/**
 * #17 B: validation and quarantine fit their Lambda at the configured maxima. The store counts
 * requests and how many of a kind were in flight at once, with a latency injected per request.
 */
function instrumented(store: ReturnType<typeof setup>['store'], latencyMs: (kind: 'head' | 'copy', key: string) => number) {
  const inFlight = { head: 0, copy: 0 };
  const peak = { head: 0, copy: 0 };
  const count = { head: 0, copy: 0 };
  const timed = async <R>(kind: 'head' | 'copy', key: string, call: () => Promise<R>): Promise<R> => {
    count[kind]++;
    peak[kind] = Math.max(peak[kind], ++inFlight[kind]);
    await new Promise((r) => setTimeout(r, latencyMs(kind, key)));
    try {
      return await call();
    } finally {
      inFlight[kind]--;
    }
  };
  const { readHead, copy } = { readHead: store.readHead.bind(store), copy: store.copy.bind(store) };
  store.readHead = (ref: ObjectRef, bytes: number) => timed('head', ref.key, () => readHead(ref, bytes));
  store.copy = (from: ObjectRef, to: ObjectRef) => timed('copy', from.key, () => copy(from, to));
  return { peak, count };
}

function putFiles(store: ReturnType<typeof setup>['store'], n: number, body: (i: number) => string) {
  for (let i = 0; i < n; i++) store.put(LANDING, `churn/d1/part-${String(i).padStart(4, '0')}.csv`, body(i));
}

describe('validation at dataset.maxObjects', () => {
  it(`reads heads ${HEAD_READS_IN_FLIGHT} at a time and reports reasons in key order, whatever order the reads finish in`, async () => {
    const { store, deps } = setup({ maxObjects: 1000 });
    putFiles(store, 1000, (i) => (i % 250 === 7 ? csv(1, 'label,f1,oops') : csv(1)));
    // Later keys answer sooner: a sequential or unordered implementation shows in the peak or the order.
    const io = instrumented(store, (_, key) => 3 - (Number(key.match(/(\d{4})\.csv$/)?.[1]) % 3));
    const result = await validateDataset(task(), deps);
    expect(io.count.head).toBe(1000);
    expect(io.peak.head).toBe(HEAD_READS_IN_FLIGHT);
    expect(result).toMatchObject({ accepted: false });
    const reasons = result.accepted ? [] : result.reasons;
    expect(reasons.map((r) => r.match(/part-(\d{4})/)?.[1])).toEqual(['0007', '0007', '0257', '0257', '0507', '0507', '0757', '0757']);
  });

  it(`quarantines a rejected dataset of 1000 files, ${COPIES_IN_FLIGHT} copies at a time, with its reason.json`, async () => {
    const { store, deps } = setup({ maxObjects: 1000 });
    putFiles(store, 1000, () => csv(1, 'label,f1,oops'));
    const io = instrumented(store, () => 1);
    const result = await validateDataset(task(), deps);
    expect(result).toMatchObject({ accepted: false, quarantineUri: 's3://landing/quarantine/churn/d1/' });
    expect(io.count.copy).toBe(1000);
    expect(io.peak.copy).toBe(COPIES_IN_FLIGHT);
    const reason = JSON.parse(await store.readText({ bucket: LANDING, key: 'quarantine/churn/d1/reason.json' }));
    expect(reason.reasons).toHaveLength(2000);
    expect(reason.notCopied).toBeUndefined();
    expect(store.keys(LANDING, 'quarantine/')).toHaveLength(1001);
  });

  it('copies nothing of a dataset rejected for its size: reason.json names every object and version, and the originals stay', async () => {
    const { store, deps } = setup({ maxObjects: 5, maxBytes: 1_000_000 });
    putFiles(store, 8, () => csv(30));
    const io = instrumented(store, () => 0);
    const result = await validateDataset(task(), deps);
    expect(result.accepted ? [] : result.reasons).toContain('more than 5 objects (dataset.maxObjects)');
    expect(io.count.copy).toBe(0);
    const reason = JSON.parse(await store.readText({ bucket: LANDING, key: 'quarantine/churn/d1/reason.json' }));
    expect(reason.notCopied).toMatch(/^over dataset\.maxObjects or dataset\.maxBytes/);
    expect(reason.objects).toHaveLength(5);
    expect(reason.objects.every((o: { versionId?: string }) => typeof o.versionId === 'string' && o.versionId.length > 0)).toBe(true);
    expect(store.keys(LANDING, 'churn/d1/')).toHaveLength(8);
  });
});

describe("the validation task's worst case (50 ms a GET, 100 ms a CopyObject, 100 MiB/s a copy stream)", () => {
  it('stays below half the synthesized function time-out at the synthesized maxObjects and maxBytes', () => {
    const s = synthPlatform();
    const template = s.template(s.stages.get('dev')!.pipelines[0]!).toJSON();
    const fn = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.MAX_OBJECTS);
    const env = fn.Properties.Environment.Variables;
    const worst = validationWorstCase(Number(env.MAX_OBJECTS), Number(env.MAX_BYTES));
    expect(fn.Properties.Timeout).toBe(VALIDATION_TIMEOUT_SECONDS);
    expect(worst.totalSeconds).toBeLessThan(fn.Properties.Timeout / 2);
    // 1000 files, 10 GiB: 4 list pages, 63 rounds of head reads, 63 rounds of copies, 10 GiB at 8 parts in flight.
    const rounded = Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, Math.round(v * 100) / 100]));
    expect(rounded).toMatchObject({ listSeconds: 0.15, headSeconds: 3.15, copyRequestSeconds: 6.3, copyBytesSeconds: 12.8 });
  });

  it('is a synth-time error naming the field when a limit cannot fit', () => {
    const tooBig = () => loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', dataset: { maxBytes: 1024 ** 4 } }] } });
    expect(tooBig).toThrow(/pipelines\[0\]\.dataset\.maxBytes: .*validation task.*\b\d+ s\b.*half of its 900 s time-out/);
    expect(() => loadConfig({ inline: { pipelines: [{ name: 'breast-cancer', dataset: { maxObjects: 10000 } }] } })).not.toThrow();
  });
});
