import { createHash } from 'node:crypto';
import type { Logger } from '../shared/logger';
import type { ModelPackageEvent } from './schema';

/** The prefix of the ApprovalDescription the deployment workflow writes when it rejects a package. */
export const ROLLBACK_MARK = 'Rolled back by the deployment workflow';

export interface DeploymentInput {
  readonly modelPackageArn: string;
  readonly modelPackageGroup: string;
  readonly version: number;
  readonly approvedBy: string;
  readonly approvalDescription: string;
}

export interface DeploymentStarter {
  start(name: string, input: DeploymentInput): Promise<'started' | 'exists'>;
}

export interface RejectionNotifier {
  rejected(modelPackageArn: string, by: string | undefined, reason: string | undefined): Promise<void>;
}

export type ApprovalOutcome =
  | { readonly action: 'deployment-started' | 'deployment-already-started'; readonly executionName: string }
  | { readonly action: 'rejection-notified' | 'ignored'; readonly reason?: string };

/** Who changed the package, as readably as the event allows. */
export function changedBy(d: ModelPackageEvent['detail']): string | undefined {
  const u = d.LastModifiedBy;
  return u?.UserProfileName ?? u?.IamIdentity?.Arn ?? u?.UserProfileArn;
}

/**
 * One execution per approval: SageMaker may send an event more than once, and each copy
 * names the same execution (version + a hash of ARN and modification time), which Step
 * Functions starts only once. A later re-approval has a new time, so it deploys again.
 */
export function deploymentName(d: ModelPackageEvent['detail']): string {
  const hash = createHash('sha256')
    .update(`${d.ModelPackageArn}|${d.LastModifiedTime ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `v${d.ModelPackageVersion}-${hash}`;
}

export async function onModelPackageEvent(
  event: ModelPackageEvent,
  deps: { readonly group: string; readonly starter: DeploymentStarter; readonly notifier: RejectionNotifier; readonly log: Logger },
): Promise<ApprovalOutcome> {
  const d = event.detail;
  if (d.ModelPackageGroupName !== deps.group) {
    const reason = `package of group "${d.ModelPackageGroupName}", this pipeline's group is "${deps.group}"`;
    deps.log.warn('event ignored', { reason, eventId: event.id });
    return { action: 'ignored', reason };
  }
  if (d.ModelApprovalStatus === 'Approved') {
    const name = deploymentName(d);
    const status = await deps.starter.start(name, {
      modelPackageArn: d.ModelPackageArn,
      modelPackageGroup: d.ModelPackageGroupName,
      version: d.ModelPackageVersion,
      approvedBy: changedBy(d) ?? 'unknown',
      approvalDescription: d.ApprovalDescription ?? '',
    });
    deps.log.info(status === 'started' ? 'deployment started' : 'duplicate approval event: deployment already started', {
      executionName: name,
      eventId: event.id,
    });
    return { action: status === 'started' ? 'deployment-started' : 'deployment-already-started', executionName: name };
  }
  if (d.ModelApprovalStatus === 'Rejected') {
    if (d.ApprovalDescription?.startsWith(ROLLBACK_MARK)) {
      deps.log.info('rejection by the deployment workflow: its rollback message already said why', { modelPackageArn: d.ModelPackageArn });
      return { action: 'ignored', reason: 'rejected by the deployment workflow' };
    }
    await deps.notifier.rejected(d.ModelPackageArn, changedBy(d), d.ApprovalDescription);
    return { action: 'rejection-notified' };
  }
  return { action: 'ignored', reason: `status ${d.ModelApprovalStatus}` };
}
