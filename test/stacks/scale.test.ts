import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { synthPlatform } from '../../offline/synth';

/**
 * One stack per pipeline keeps every stack far from CloudFormation's limits however many models a
 * config holds (500 resources and a 1 MB template per stack). Counting, not timing: the timings are
 * in `npm run bench`.
 */
const RESOURCE_LIMIT = 500;
const TEMPLATE_LIMIT_BYTES = 1_000_000;

function synthPipelines(n: number) {
  const base = DEFAULT_CONFIG.pipelines[0]!;
  const pipelines = Array.from({ length: n }, (_, i) => ({ ...base, name: `model-${String(i + 1).padStart(2, '0')}` }));
  const s = synthPlatform({ pipelines });
  const assembly = s.app.synth();
  return assembly.stacks.map((st) => ({
    name: st.stackName,
    resources: Object.keys(st.template.Resources ?? {}).length,
    bytes: JSON.stringify(st.template).length,
  }));
}

describe('25 pipelines in one config', () => {
  const stacks = synthPipelines(25);
  const one = synthPipelines(1);

  it('become a data stack and 25 pipeline stacks', () => {
    expect(stacks).toHaveLength(26);
    expect(stacks.filter((s) => /^mlops-dev-model-\d\d$/.test(s.name))).toHaveLength(25);
  });

  it('keep every stack under the resource and template-size limits, with room to grow', () => {
    for (const s of stacks) {
      expect(s.resources, s.name).toBeLessThan(RESOURCE_LIMIT / 5);
      expect(s.bytes, s.name).toBeLessThan(TEMPLATE_LIMIT_BYTES / 5);
    }
  });

  it('do not grow any stack: each is the size it has when it is alone', () => {
    const alone = one.find((s) => s.name === 'mlops-dev-model-01')!;
    const sizes = new Set(stacks.filter((s) => s.name.startsWith('mlops-dev-model-')).map((s) => s.resources));
    expect([...sizes]).toEqual([alone.resources]);
    expect(stacks.find((s) => s.name === 'mlops-dev-Data')!.resources).toBe(one.find((s) => s.name === 'mlops-dev-Data')!.resources);
  });
});
