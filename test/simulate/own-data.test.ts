import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { playStory, type StoryResult } from '../../tools/simulate/story';
import { describeWithMlPython } from '../helpers/ml-python';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

/**
 * `npm run simulate -- -c config=examples/add-a-pipeline.json --data examples/churn.csv
 * --pipeline churn` (#19 item 1): a data scientist's own 5-column pipeline, label last, and own
 * CSV, played through the whole lifecycle to a promoted model.
 */
let story: StoryResult;

describeWithMlPython('npm run simulate on your own pipeline and CSV', () => {
  beforeAll(async () => {
    story = await playStory({ configFile: join(EXAMPLES, 'add-a-pipeline.json'), dataFile: join(EXAMPLES, 'churn.csv'), pipeline: 'churn' });
  }, 120_000);

  it("is the README's example command", () => {
    const readme = readFileSync(join(EXAMPLES, '..', 'README.md'), 'utf8');
    expect(readme).toContain('npm run simulate -- -c config=examples/add-a-pipeline.json --data examples/churn.csv --pipeline churn\n');
  });

  it('trains the named pipeline, not the first one, on the given CSV', () => {
    expect(story.steps.firstTraining).toMatchObject({ runs: 1, status: 'SUCCEEDED', package: expect.stringMatching(/model-package\/mlops-dev-churn\/1$/) });
    expect(story.timeline.join('\n')).toMatch(/drops .*examples\/churn\.csv \(1000 rows\) as 3 files under churn\/2026-11-20\//);
  });

  it('calls the endpoint with the features in schema order without the label (last here), and the model answers them', () => {
    expect(story.steps.traffic).toMatchObject({ answered: 60 });
    expect(story.steps.traffic!.correct as number).toBeGreaterThanOrEqual(55);
  });

  it('shadow-tests v2 on rows of the CSV and promotes it', () => {
    const p = story.steps.promotion as { status: string; comparison: { decision: string }; live: { production: { ModelName: string } } };
    expect(p).toMatchObject({ status: 'SUCCEEDED', comparison: { decision: 'promote' } });
    expect(p.live.production.ModelName).toMatch(/^mlops-dev-churn--m2-/);
  });

  it("drifts the CSV's first two features, which the drift check finds and a retraining answers", () => {
    expect(story.timeline.join('\n')).toContain('traffic drifts: tenure_months and monthly_charges arrive 3 standard deviations higher');
    expect((story.steps.drift!.metric as { value: number }).value).toBeGreaterThanOrEqual(2);
    expect(story.steps.drift).toMatchObject({ retrainReason: 'drift', retrainStatus: 'SUCCEEDED', packages: 3 });
  });

  it('rejects the misspelled header into quarantine', () => {
    expect(story.steps.badDrop).toMatchObject({ quarantine: ['quarantine/churn/bad-header/data.csv', 'quarantine/churn/bad-header/reason.json'] });
  });

  it("authorizes every request, and judges unexercised grants on the played pipeline's stacks only", () => {
    expect(story.cloud.authorizer.denied()).toEqual([]);
    expect(story.unexercised.filter((g) => !g.reason)).toEqual([]);
    expect(story.unexercised.some((g) => g.resources.some((r) => r.includes('breast-cancer')))).toBe(false);
  });
});
