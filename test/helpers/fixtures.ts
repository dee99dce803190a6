import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const BREAST_CANCER_CSV = join(FIXTURES, 'data', 'breast-cancer.csv');

/** The breast-cancer fixture (569 rows, header = the default pipeline's columns) as text. */
export function breastCancerCsv(): string {
  return readFileSync(BREAST_CANCER_CSV, 'utf8');
}

/** The fixture split into `parts` CSV files, each with the header row, as a multi-file upload. */
export function breastCancerParts(parts: number): string[] {
  const [header, ...rows] = breastCancerCsv().trimEnd().split('\n');
  const size = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) => `${header}\n${rows.slice(i * size, (i + 1) * size).join('\n')}\n`);
}
