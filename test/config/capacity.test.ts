import { describe, expect, it } from 'vitest';
import { instanceMemoryGib } from '../../lib/config/capacity';
import { ConfigError, loadConfig } from '../../lib/config/load';

/** #17 C: the instances hold a dataset of dataset.maxBytes, or the synth says which field to change. */
const GIB = 1024 ** 3;
const withPipeline = (fields: Record<string, unknown>) => ({ pipelines: [{ name: 'breast-cancer', ...fields }] });
/** The problems the loader names for a layer over the defaults; none when it accepts it. */
function configProblems(inline: unknown): string[] {
  try {
    loadConfig({ inline });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

describe('instance capacity at dataset.maxBytes', () => {
  it('the defaults hold the default 10 GiB', () => {
    expect(() => loadConfig()).not.toThrow();
  });

  it('names every field that cannot hold 100 GiB, with what it needs', () => {
    const problems = configProblems(withPipeline({ dataset: { maxBytes: 100 * GIB } }));
    expect(problems).toEqual([
      expect.stringMatching(
        /^pipelines\[0\]\.preprocessing\.volumeSizeGb: 30 GB cannot hold the data a preprocessing instance may get at dataset\.maxBytes 100 GiB: it needs about 220 GB/,
      ),
      expect.stringMatching(/^pipelines\[0\]\.training\.volumeSizeGb: 30 GB cannot hold a training instance's data .*about 86 GB/),
      expect.stringMatching(/^pipelines\[0\]\.training\.instanceType: 1 × ml\.m5\.xlarge \(16 GiB each\) cannot hold the train split .*about 70 GiB/),
    ]);
  });

  it('is satisfied by larger volumes and more training instances (the train split is sharded evenly; preprocessing shards by file, so every instance must hold it all)', () => {
    const problems = configProblems(
      withPipeline({
        dataset: { maxBytes: 100 * GIB },
        preprocessing: { instanceCount: 8, volumeSizeGb: 221 },
        training: { instanceType: 'ml.m5.2xlarge', instanceCount: 3, volumeSizeGb: 50 },
      }),
    );
    expect(problems).toEqual([]);
  });

  it('does not judge the memory of a custom training image, which may stream its data', () => {
    const image = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/my-trainer:1';
    const problems = configProblems(withPipeline({ dataset: { maxBytes: 20 * GIB }, training: { image, instanceType: 'ml.m5.large' } }));
    expect(problems.filter((p) => p.includes('instanceType'))).toEqual([]);
  });

  it.each([
    ['ml.m5.xlarge', 16],
    ['ml.c5.9xlarge', 72],
    ['ml.r5.large', 16],
    ['ml.t3.medium', 4],
    ['ml.m6i.32xlarge', 512],
    ['ml.p3.2xlarge', undefined],
  ])('knows the memory of %s: %s GiB', (type, gib) => {
    expect(instanceMemoryGib(type)).toBe(gib);
  });
});
