// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** The drift-check workflow's Lambda tasks. */
export const driftTaskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('prepare'), executionArn: z.string().min(1), startTime: z.iso.datetime({ offset: true }) }),
  z.object({
    action: z.literal('publish'),
    outputUri: z.string().regex(/^s3:\/\/[^/]+\/.+\/$/, 'expected an s3:// prefix ending in "/"'),
    /** The check's execution and the live package it checked, for the Drift Detected event. */
    executionArn: z.string().min(1),
    modelPackageArn: z.string().min(1),
  }),
]);

/** What ml/drift.py writes (the fields the publisher reads). */
export const driftReportSchema = z.object({
  status: z.enum(['ok', 'insufficient-data']),
  rows: z.number().int(),
  driftedFeatures: z.number().int().nullable(),
  drifted: z.array(z.string()),
  psiThreshold: z.number(),
});
