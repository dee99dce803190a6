// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** A source stage's Model Live event, as its bus forwards it to this stage's bus (the fields promotion reads). */
export const modelLiveEventSchema = z.object({
  source: z.string(),
  'detail-type': z.literal('Model Live'),
  account: z.string().regex(/^\d{12}$/),
  detail: z.object({
    kind: z.literal('deployed'),
    stage: z.string(),
    pipeline: z.string(),
    modelPackageArn: z.string().regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[^/]+\/\d+$/, 'expected a versioned model package ARN'),
    executionArn: z.string().optional(),
  }),
});
export type ModelLiveEvent = z.infer<typeof modelLiveEventSchema>;
