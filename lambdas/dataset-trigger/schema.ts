// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** EventBridge "Object Created" event from Amazon S3 (fields the trigger uses, others allowed). */
export const objectCreatedEventSchema = z.object({
  'detail-type': z.literal('Object Created'),
  source: z.literal('aws.s3'),
  id: z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});
