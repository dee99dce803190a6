import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import { StoryData, StoryDataError, storyData, storyPipeline } from '../../tools/simulate/dataset';

const pipeline = (minRows = 10) =>
  loadConfig({ inline: { pipelines: [{ name: 'p', schema: { columns: ['a', 'y', 'b'], label: 'y' }, dataset: { minRows } }] } }).pipelines[0]!;
const rows = Array.from({ length: 20 }, (_, i) => `${i},${i % 2},${100 - i}`);
const csv = `a,y,b\n${rows.join('\n')}\n`;

describe('the data the simulator plays', () => {
  it('makes endpoint requests of the features in schema order, without the label wherever it is', () => {
    expect(new StoryData(csv, pipeline(), 'x.csv').request('3,1,97')).toBe('3,97');
  });

  it('splits into files that each carry the header and together hold every row once', () => {
    const parts = new StoryData(csv, pipeline(), 'x.csv').parts(3);
    expect(parts).toHaveLength(3);
    expect(parts.every((p) => p.startsWith('a,y,b\n'))).toBe(true);
    expect(parts.flatMap((p) => p.trimEnd().split('\n').slice(1))).toEqual(rows);
  });

  it('wraps around a short CSV when more rows are asked for than it has', () => {
    expect(new StoryData(csv, pipeline(), 'x.csv').take(18, 4)).toEqual([rows[18], rows[19], rows[0], rows[1]]);
  });

  it('drifts the first two varying features by 3 standard deviations, leaving the others', () => {
    const d = new StoryData(csv, pipeline(), 'x.csv');
    expect(d.driftedFeatures()).toEqual(['a', 'b']);
    const sd = Math.sqrt(rows.reduce((s, _, i) => s + (i - 9.5) ** 2, 0) / 20);
    const [a, b] = d.drifted(['3,1,97'])[0]!.split(',').map(Number);
    expect(a).toBeCloseTo(3 + 3 * sd, 6);
    expect(b).toBeCloseTo(97 + 3 * sd, 6);
  });

  it('judges answers per problem type: a binary score at 0.5', () => {
    const d = new StoryData(csv, pipeline(), 'x.csv');
    expect(d.correct('3,1,97', '0.7')).toBe(true);
    expect(d.correct('3,1,97', '0.2')).toBe(false);
  });

  it('misspells one header name only, so that validation rejects the drop', () => {
    const bad = new StoryData(csv, pipeline(), 'x.csv').misspelledHeader();
    expect(bad.split('\n')[0]).toBe('ax,y,b');
    expect(bad.split('\n').slice(1, -1)).toEqual(rows);
  });

  it('says how many rows are needed when the second drop (90 %) would fail dataset.minRows', () => {
    expect(() => new StoryData(csv, pipeline(100), 'x.csv')).toThrow(
      new StoryDataError(
        'x.csv has 20 data rows; the story drops 90 % of them as a second dataset, which must pass dataset.minRows (100) of pipeline "p": give at least 113 rows',
      ),
    );
  });

  it('says how the header differs from the schema before anything runs', () => {
    expect(() => new StoryData(csv.replace('a,y,b', 'a,b,y'), pipeline(), 'h.csv')).toThrow(/^h\.csv: its header is not pipeline "p"'s schema\.columns: /);
  });

  it('refuses quoted CSV, which it cannot split, naming the file', () => {
    expect(() => new StoryData(csv.replace('3,1,97', '"3",1,97'), pipeline(), 'q.csv')).toThrow(/^q\.csv: quoted fields are not supported/);
  });

  it('names the pipelines there are when --pipeline names none, and the file when --data cannot be read', () => {
    expect(() => storyPipeline([pipeline()], 'nope')).toThrow('--pipeline nope: the config has no such pipeline (it has p)');
    expect(storyPipeline([pipeline()], undefined).name).toBe('p');
    expect(() => storyData(pipeline(), '/nonexistent/x.csv')).toThrow(/^--data \/nonexistent\/x\.csv: ENOENT/);
  });
});
