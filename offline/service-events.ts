import { REGION } from './account';

type Json = Record<string, any>;

/** The envelope EventBridge delivers every event in (its event structure), a service's or a PutEvents entry's. */
export const envelope = (account: string, id: string, detailType: string, source: string, resources: string[], detail: Json): Json => ({
  version: '0',
  id,
  'detail-type': detailType,
  source,
  account,
  time: new Date().toISOString(),
  region: REGION,
  resources,
  detail,
});

/** SageMaker's "SageMaker Model Package State Change" for a package as the registry holds it. */
export const packageStateChange = (account: string, pkg: Json): Json =>
  envelope(
    account,
    `sim-${pkg.ModelPackageVersion}-${pkg.ModelApprovalStatus}`,
    'SageMaker Model Package State Change',
    'aws.sagemaker',
    [pkg.ModelPackageArn],
    {
      ModelPackageGroupName: pkg.ModelPackageGroupName,
      ModelPackageVersion: pkg.ModelPackageVersion,
      ModelPackageArn: pkg.ModelPackageArn,
      ModelApprovalStatus: pkg.ModelApprovalStatus,
      ModelPackageStatus: 'Completed',
      ...(pkg.ApprovalDescription ? { ApprovalDescription: pkg.ApprovalDescription } : {}),
      LastModifiedBy: pkg.LastModifiedBy,
      LastModifiedTime: pkg.LastModifiedTime,
    },
  );

/** S3's "Object Created" (EventBridge notifications on the bucket) for one PutObject. */
export const objectCreated = (account: string, bucket: string, key: string, size: number, versionId: string | undefined): Json =>
  envelope(account, `sim-${key}`, 'Object Created', 'aws.s3', [`arn:aws:s3:::${bucket}`], {
    version: '0',
    bucket: { name: bucket },
    object: { key, size, etag: 'sim', 'version-id': versionId },
    'request-id': 'sim',
    requester: account,
    reason: 'PutObject',
  });

/** CloudWatch's "CloudWatch Alarm State Change". */
export function alarmStateChange(account: string, alarmArn: string, alarmName: string, state: string, previous: string, reason: string): Json {
  const at = new Date().toISOString();
  const st = (value: string) => ({ value, reason, reasonData: '{}', timestamp: at });
  return envelope(account, `sim-${Date.now()}`, 'CloudWatch Alarm State Change', 'aws.cloudwatch', [alarmArn], {
    alarmName,
    state: st(state),
    previousState: st(previous),
    configuration: { metrics: [] },
  });
}
