// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

export const gateTaskSchema = z.object({
  /** `s3://.../evaluation.json` written by ml/evaluate.py. */
  evaluationReport: z.string().startsWith('s3://'),
});

/** The part of ml/evaluate.py's report the gate reads. */
export const evaluationReportSchema = z.object({
  metrics: z.record(z.string(), z.number()),
  /** The evaluated artifact's SHA-256: registered with the package, checked by a promotion to another stage. */
  model: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 in hexadecimal') }),
});

export interface GateRule {
  readonly metric: string;
  readonly threshold: number;
  readonly direction: 'maximize' | 'minimize';
  readonly mustBeatChampion: boolean;
  readonly modelPackageGroup: string;
}
