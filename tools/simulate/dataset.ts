import { readFileSync } from 'node:fs';
import { headerProblems } from '../../lambdas/validate-dataset/csv';
import type { PipelineConfig } from '../../lib/config/schema';
import type { LocalCloud } from '../../offline/local-cloud';
import { breastCancerCsv } from '../../test/helpers/fixtures';

/** The story's data cannot play the story (too few rows, not a plain CSV): said before anything runs. */
export class StoryDataError extends Error {
  override readonly name = 'StoryDataError';
}

/**
 * The CSV the story plays (`--data`, or the breast-cancer sample): split into drops, turned into
 * endpoint requests (features in schema order, no label, no header), and drifted. Plain CSV only:
 * a header row, then one row per line, no quoted fields.
 */
export class StoryData {
  readonly header: string;
  readonly rows: string[];
  private readonly labelAt: number;

  constructor(
    csv: string,
    private readonly pipeline: PipelineConfig,
    readonly source: string,
  ) {
    const [header = '', ...rows] = csv.replace(/\r\n/g, '\n').trimEnd().split('\n');
    this.header = header;
    this.rows = rows.filter((r) => r.trim() !== '');
    if (csv.includes('"')) throw new StoryDataError(`${source}: quoted fields are not supported by the simulator; write a plain CSV (no '"')`);
    const columns = header.split(',').map((c) => c.trim());
    const problems = headerProblems(columns, pipeline.schema.columns, pipeline.schema.label);
    if (problems.length > 0) throw new StoryDataError(`${source}: its header is not pipeline "${pipeline.name}"'s schema.columns: ${problems.join('; ')}`);
    this.labelAt = columns.indexOf(pipeline.schema.label);
    // The second drop holds 90 % of the rows and must still pass dataset.minRows.
    const needed = Math.ceil(pipeline.dataset.minRows / 0.9) + 1;
    if (this.rows.length < needed) {
      throw new StoryDataError(
        `${source} has ${this.rows.length} data rows; the story drops 90 % of them as a second dataset, which must pass dataset.minRows (${pipeline.dataset.minRows}) of pipeline "${pipeline.name}": give at least ${needed} rows`,
      );
    }
  }

  /** The CSV split into `n` files, each with the header row (a multi-file upload). */
  parts(n: number): string[] {
    const size = Math.ceil(this.rows.length / n);
    return Array.from({ length: n }, (_, i) => this.file(this.rows.slice(i * size, (i + 1) * size)));
  }

  /** A CSV file of `rows` under the header. */
  file(rows: readonly string[]): string {
    return `${this.header}\n${rows.join('\n')}\n`;
  }

  /** `count` rows from `start`, wrapping around when the CSV is shorter. */
  take(start: number, count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.rows[(start + i) % this.rows.length]!);
  }

  get problemType(): string {
    return this.pipeline.schema.problemType;
  }

  /** An endpoint request: the features of a row in schema order, without the label. */
  request(row: string): string {
    return this.featuresOf(row).join(',');
  }

  /** Whether an endpoint's answer is right for a row: classes compared; regression within 10 % of the label's spread. */
  correct(row: string, answer: string): boolean {
    const label = Number(row.split(',')[this.labelAt]);
    const scores = answer.split(',').map(Number);
    switch (this.pipeline.schema.problemType) {
      case 'binary_classification':
        return (scores[0]! >= 0.5 ? 1 : 0) === label;
      case 'multiclass_classification':
        return scores.indexOf(Math.max(...scores)) === label;
      default:
        return Math.abs(scores[0]! - label) <= 0.1 * this.spread(this.labelAt);
    }
  }

  /** The names of the two features that {@link drifted} moves: the first two that vary. */
  driftedFeatures(): [string, string] {
    const names = this.featureNames();
    const varying = names.filter((_, i) => this.spread(this.columnAt(i)) > 0);
    if (varying.length === 0) throw new StoryDataError(`${this.source}: no feature column varies, so no drift can be shown`);
    return [varying[0]!, varying[1] ?? varying[0]!];
  }

  /** Endpoint requests of `rows` with the {@link driftedFeatures} moved 3 standard deviations up. */
  drifted(rows: readonly string[]): string[] {
    const names = this.featureNames();
    const moved = this.driftedFeatures().map((n) => names.indexOf(n));
    const shift = moved.map((i) => 3 * this.deviation(this.columnAt(i)));
    return rows.map((r) => {
      const f = this.featuresOf(r);
      moved.forEach((i, k) => {
        f[i] = String(Number(f[i]) + shift[k]!);
      });
      return f.join(',');
    });
  }

  /** The header with its first feature's name misspelled (a drop that validation must reject). */
  misspelledHeader(): string {
    const name = this.featureNames()[0]!;
    const typo = name.length > 2 ? name.slice(0, -2) + name.slice(-1) : `${name}x`;
    const header = this.header
      .split(',')
      .map((c) => (c === name ? typo : c))
      .join(',');
    return `${header}\n${this.rows.join('\n')}\n`;
  }

  private featureNames(): string[] {
    return this.featuresOf(this.header);
  }

  private featuresOf(row: string): string[] {
    return row.split(',').filter((_, i) => i !== this.labelAt);
  }

  /** The CSV column of the i-th feature. */
  private columnAt(feature: number): number {
    return feature < this.labelAt ? feature : feature + 1;
  }

  private values(column: number): number[] {
    return this.rows.map((r) => Number(r.split(',')[column])).filter(Number.isFinite);
  }

  private spread(column: number): number {
    const v = this.values(column);
    return v.length > 0 ? Math.max(...v) - Math.min(...v) : 0;
  }

  private deviation(column: number): number {
    const v = this.values(column);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  }
}

/** The story's pipeline: `name`, or the first of the config. */
export function storyPipeline(pipelines: readonly PipelineConfig[], name: string | undefined): PipelineConfig {
  if (name === undefined) return pipelines[0]!;
  const p = pipelines.find((x) => x.name === name);
  if (!p) throw new StoryDataError(`--pipeline ${name}: the config has no such pipeline (it has ${pipelines.map((x) => x.name).join(', ')})`);
  return p;
}

/** The CSV of `--data file`, or the breast-cancer sample, for `pipeline`. */
export function storyData(pipeline: PipelineConfig, file: string | undefined): StoryData {
  if (file === undefined) return new StoryData(breastCancerCsv(), pipeline, 'the breast-cancer sample');
  let csv: string;
  try {
    csv = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StoryDataError(`--data ${file}: ${(e as Error).message}`);
  }
  return new StoryData(csv, pipeline, file);
}

/**
 * Clients call a stage's endpoint with `count` rows of the data (captured as the deployment
 * configures): how many answers were right, and the story's line saying so.
 */
export async function askEndpoint(cloud: LocalCloud, data: StoryData, count: number): Promise<{ answered: number; correct: number; line: string }> {
  const env = cloud.env.deployment!;
  const asked = data.take(0, count);
  const answers = await cloud.sageMaker.invoke(
    env.ENDPOINT_NAME!,
    asked.map((r) => data.request(r)),
    { bucket: env.CAPTURE_BUCKET!, prefix: env.CAPTURE_PREFIX! },
  );
  const correct = answers.filter((a, i) => data.correct(asked[i]!, a)).length;
  const regression = data.problemType === 'regression' ? ' (within 10 % of its range)' : '';
  return { answered: answers.length, correct, line: `${correct} of ${answers.length} predictions match the label${regression}` };
}
