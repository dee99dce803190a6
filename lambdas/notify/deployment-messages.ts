import { approvalDeadLetterQueue, functionName } from '../shared/names';
import type { ComparisonSummary } from './deployment-schema';
import { clip, listLines } from './fit';
import type { Notification } from './schema';

type DeploymentNotification = Extract<
  Notification,
  { kind: 'model-rejected' | 'deployment-waiting' | 'deployed' | 'rolled-back' | 'retraining-skipped' | 'model-promoted' | 'promotion-failed' }
>;

/** Console page of an endpoint (invocation metrics per variant are on it). */
export const endpointLink = (region: string, endpoint: string) =>
  `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/endpoints/${endpoint}`;

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
const num = (x: number | null) => (x === null ? 'n/a' : String(Math.round(x)));
const ms = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} ms`);

/** The shadow comparison as a small table. */
export function comparisonLines(c: ComparisonSummary): string[] {
  return [
    'Shadow comparison (production vs shadow):',
    `  requests:     ${num(c.production.invocations)} vs ${num(c.shadow.invocations)}`,
    `  error rate:   ${pct(c.production.errorRate)} vs ${pct(c.shadow.errorRate)}`,
    `  p99 latency:  ${ms(c.production.p99LatencyMs)} vs ${ms(c.shadow.p99LatencyMs)}`,
    `  agreement:    ${c.agreementRate === null ? 'n/a' : pct(c.agreementRate)} over ${c.agreementPairs} mirrored request(s)`,
    ...(c.basis === 'insufficient' ? ['  (decided without enough evidence, by promotion.onInsufficientData)'] : []),
  ];
}

/** Subject and body lines of the approval and deployment messages. */
export function formatDeployment(
  n: DeploymentNotification,
  tag: string,
  region: string,
  registry: string,
  group: string,
): { subject: string; lines: string[] } {
  if (n.kind === 'retraining-skipped') {
    return {
      subject: `${tag}: ${n.trigger === 'drift' ? 'drift detected' : 'scheduled retraining'}, but no run started`,
      lines: [`Retraining was asked for (${n.trigger}) and did not start: ${clip(n.reason)}.`],
    };
  }
  if (n.kind === 'promotion-failed') {
    const source = `${n.sourceStage} v${n.sourcePackageArn.split('/').pop()}`;
    return {
      subject: `${tag}: the model live in ${source} was not promoted (${n.error})`,
      lines: [
        `The model that went live in stage ${n.sourceStage} was not registered here: no package was added and nothing this stage serves changed.`,
        '',
        `Reason: ${clip(n.cause)}`,
        '',
        `Source package: ${n.sourcePackageArn}`,
        `The event is kept in the dead-letter queue ${approvalDeadLetterQueue(group)}. Once the cause is fixed, invoke ${functionName(group, 'promote-model')} with it again (README "Promotion across stages"), or approve a newer model in the source stage.`,
        `Model registry: ${registry}`,
      ],
    };
  }
  const version = n.modelPackageArn?.split('/').pop();
  const model = version ? `model v${version}` : 'model';
  switch (n.kind) {
    case 'model-rejected':
      return {
        subject: `${tag}: ${model} rejected`,
        lines: [
          `Model package ${n.modelPackageArn} was rejected${n.by ? ` by ${n.by}` : ''}. Nothing is deployed.`,
          ...(n.reason ? ['', `Reason: ${clip(n.reason)}`] : ['', 'No reason was given (ApprovalDescription is empty).']),
          '',
          `Model registry: ${registry}`,
        ],
      };
    case 'model-promoted': {
      const pending = n.approvalStatus === 'PendingManualApproval';
      const source = `${n.sourceStage} v${n.sourcePackageArn.split('/').pop()}`;
      return {
        subject: `${tag}: ${model} (${source}) ${pending ? 'awaits approval' : 'registered and approved'}`,
        lines: [
          `The model that went live in stage ${n.sourceStage} was copied here and registered as ${model}${pending ? ', waiting for your approval' : ', approved (stage autoApprove)'}.`,
          `Its artifact is the very one ${n.sourceStage} evaluated: SHA-256 ${n.modelSha256}, checked on the copy.`,
          '',
          `Source package: ${n.sourcePackageArn}`,
          ...(n.sourceExecutionArn ? [`Trained by: ${n.sourceExecutionArn}`] : []),
          `Model package: ${n.modelPackageArn}`,
          '',
          `Review and approve: ${registry}`,
          ...(pending ? [`Or with the CLI: aws sagemaker update-model-package --model-package-arn ${n.modelPackageArn} --model-approval-status Approved`] : []),
        ],
      };
    }
    case 'deployment-waiting':
      return {
        subject: `${tag}: deployment of ${model} waits for another deployment`,
        lines: [
          `Another deployment of this endpoint is running: ${clip(n.blockedBy)}`,
          'This one starts when it ends (one deployment per endpoint at a time).',
        ],
      };
    case 'deployed':
      return {
        subject: `${tag}: ${model} is live on ${n.endpointName} (${n.how}${n.replaces?.earlier ? `, back from v${n.replaces.version}` : ''})`,
        lines: [
          ...(n.replaces
            ? [`v${version} replaces v${n.replaces.version}${n.replaces.earlier ? ' (an earlier version: production goes back to it)' : ''}.`]
            : []),
          n.how === 'created'
            ? 'The endpoint was created with the approved model.'
            : n.how === 'promoted'
              ? `The shadow test passed: v${version} now serves all traffic (blue/green, guarded by the auto-rollback alarms).`
              : 'The model was replaced with blue/green (serverless endpoints have no shadow variants).',
          ...(n.comparison && 'decision' in n.comparison ? ['', ...comparisonLines(n.comparison), ...listLines(n.comparison.reasons, 'Note: ')] : []),
          '',
          `Endpoint: ${endpointLink(region, n.endpointName)}`,
          `Model package: ${n.modelPackageArn} (tagged mlops:live in the registry)`,
        ],
      };
    case 'rolled-back':
      return {
        subject: `${tag}: ${model} rolled back on ${n.endpointName}`,
        lines: [
          'The new model was not promoted; production is unchanged. The package is now Rejected, with the reasons in its ApprovalDescription.',
          '',
          ...listLines(n.reasons),
          ...(n.comparison && 'decision' in n.comparison ? ['', ...comparisonLines(n.comparison)] : []),
          '',
          `Endpoint: ${endpointLink(region, n.endpointName)}`,
          `Model package: ${n.modelPackageArn}`,
        ],
      };
  }
}
