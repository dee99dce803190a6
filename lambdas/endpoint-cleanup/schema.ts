// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** A CloudFormation custom resource request (the fields this resource uses). */
export const customResourceEventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({ EndpointName: z.string().min(1), NamePrefix: z.string().min(1), Retain: z.enum(['true', 'false']) }),
});
export type CustomResourceEvent = z.infer<typeof customResourceEventSchema>;
