import { type CaptureLocation, captureKeys } from '../shared/capture-layout';
import type { ObjectStore } from '../shared/object-store';
import type { Agreement } from './compare';

/**
 * Prediction agreement from SageMaker data capture. Each variant's capture files hold one JSON
 * record per line with `captureData.endpointInput` / `endpointOutput` (`data` + `encoding`
 * CSV, JSON or BASE64). A shadow variant receives copies of production requests, so requests
 * are matched by their exact input payload.
 */
export type ProblemType = 'binary_classification' | 'multiclass_classification' | 'regression';

interface CapturedPayload {
  readonly data: string;
  readonly encoding?: string;
}

function payloadText(p: CapturedPayload): string {
  return p.encoding === 'BASE64' ? Buffer.from(p.data, 'base64').toString('utf8') : p.data;
}

/** (input, output) pairs from capture JSONL; malformed lines are skipped and counted. */
export function parseCaptureLines(text: string): { records: { input: string; output: string }[]; skipped: number } {
  const records: { input: string; output: string }[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const c = (JSON.parse(line) as { captureData?: { endpointInput?: CapturedPayload; endpointOutput?: CapturedPayload } }).captureData;
      if (typeof c?.endpointInput?.data !== 'string' || typeof c.endpointOutput?.data !== 'string') throw new Error('no input/output');
      records.push({ input: payloadText(c.endpointInput).trim(), output: payloadText(c.endpointOutput).trim() });
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

const numbers = (s: string) =>
  s
    .split(/[,\s]+/)
    .filter((x) => x !== '')
    .map(Number);

/** Whether two model outputs for the same single-row request agree. */
export function outputsAgree(a: string, b: string, problemType: ProblemType, tolerance: number): boolean {
  const x = numbers(a);
  const y = numbers(b);
  if (x.length === 0 || y.length === 0 || x.some(Number.isNaN) || y.some(Number.isNaN)) return a === b;
  switch (problemType) {
    case 'binary_classification':
      return x[0]! >= 0.5 === y[0]! >= 0.5;
    case 'multiclass_classification': {
      const argmax = (v: number[]) => v.indexOf(Math.max(...v));
      return x.length === 1 && y.length === 1 ? x[0] === y[0] : argmax(x) === argmax(y);
    }
    case 'regression':
      return Math.abs(x[0]! - y[0]!) <= tolerance * Math.max(Math.abs(x[0]!), Math.abs(y[0]!), 1e-9);
  }
}

/** Matches production and shadow records by identical input (as a multiset) and counts agreement. */
export function agreementOf(
  production: { input: string; output: string }[],
  shadow: { input: string; output: string }[],
  problemType: ProblemType,
  tolerance: number,
): Agreement {
  const byInput = new Map<string, string[]>();
  for (const r of production) byInput.set(r.input, [...(byInput.get(r.input) ?? []), r.output]);
  let pairs = 0;
  let agreed = 0;
  for (const r of shadow) {
    const outputs = byInput.get(r.input);
    const other = outputs?.shift();
    if (other === undefined) continue;
    pairs++;
    if (outputsAgree(other, r.output, problemType, tolerance)) agreed++;
  }
  return { pairs, agreed };
}

/** Reads at most `maxFiles` capture files of one variant in the window. */
export async function readCapture(store: ObjectStore, at: CaptureLocation, variant: string, start: Date, end: Date, maxFiles: number) {
  const records: { input: string; output: string }[] = [];
  let skipped = 0;
  const keys = await captureKeys(store, at, variant, start, end, maxFiles);
  for (const key of keys) {
    const parsed = parseCaptureLines(await store.readText({ bucket: at.bucket, key }));
    records.push(...parsed.records);
    skipped += parsed.skipped;
  }
  return { records, files: keys.length, skipped };
}
