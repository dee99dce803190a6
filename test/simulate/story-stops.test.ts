import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { playStory, StoryStopped } from '../../tools/simulate/story';
import { describeWithMlPython } from '../helpers/ml-python';

/**
 * When a step ends otherwise than the script needs, the simulator stops there with the step, AWS's
 * reason and a hint (#19 item 1): never "Cannot read properties of undefined".
 */
describeWithMlPython('npm run simulate on a config whose gate the model cannot pass', () => {
  it('stops at the first drop with the metric and the threshold, as a StoryStopped', async () => {
    const file = join(tmpdir(), `strict-gate-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ pipelines: [{ name: 'breast-cancer', evaluation: { metric: 'accuracy', threshold: 0.999 } }] }));
    const stopped = await playStory({ configFile: file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stopped).toBeInstanceOf(StoryStopped);
    const message = (stopped as Error).message;
    expect(message).toMatch(/^stopped at "the first drop": no model package was registered\./);
    expect(message).toMatch(/model did not pass the quality gate \(accuracy 0\.\d+\)/);
    expect(message).toMatch(/accuracy: 0\.\d+ \(threshold 0\.999\)/);
  });
});
