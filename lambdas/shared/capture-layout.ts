import type { ObjectStore } from './object-store';

/** Where one endpoint's data capture lives. */
export interface CaptureLocation {
  readonly bucket: string;
  /** `<prefix>` under which SageMaker writes `<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl`. */
  readonly prefix: string;
  readonly endpoint: string;
}

/** `yyyy/mm/dd/hh/` prefixes (UTC) covering [start, end], as data capture lays files out. */
export function hourPrefixes(start: Date, end: Date, maxHours = 24 * 7): string[] {
  const out: string[] = [];
  const t = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate(), start.getUTCHours()));
  while (t <= end && out.length < maxHours) {
    const p2 = (n: number) => String(n).padStart(2, '0');
    out.push(`${t.getUTCFullYear()}/${p2(t.getUTCMonth() + 1)}/${p2(t.getUTCDate())}/${p2(t.getUTCHours())}/`);
    t.setUTCHours(t.getUTCHours() + 1);
  }
  return out;
}

/** Keys of at most `maxFiles` capture files of one variant in [start, end], earliest hours first. */
export async function captureKeys(store: ObjectStore, at: CaptureLocation, variant: string, start: Date, end: Date, maxFiles: number): Promise<string[]> {
  const keys: string[] = [];
  for (const hour of hourPrefixes(start, end)) {
    if (keys.length >= maxFiles) break;
    const { objects } = await store.list(at.bucket, `${at.prefix}/${at.endpoint}/${variant}/${hour}`, maxFiles - keys.length);
    keys.push(...objects.map((o) => o.key));
  }
  return keys;
}
