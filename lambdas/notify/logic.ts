import { formatDeployment } from './deployment-messages';
import { clip, fitBytes, listLines, MAX_MESSAGE_BYTES, subjectLine } from './fit';
import type { Notification } from './schema';
import { executionLink, registryLink } from '../shared/lifecycle';

export interface NotifyContext {
  readonly project: string;
  readonly stage: string;
  readonly pipeline: string;
  readonly region: string;
  readonly modelPackageGroup: string;
}

export { subjectLine };

export interface FormattedMessage {
  /** Fewer than 100 printable ASCII characters, one line (SNS Publish subject rules). */
  readonly subject: string;
  /** Within SNS's 256 KiB together with the attributes: long lists and texts are cut, saying where the rest is. */
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export function s3Link(region: string, uri: string): string {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return m ? `https://s3.console.aws.amazon.com/s3/buckets/${m[1]}?region=${region}&prefix=${encodeURIComponent(m[2]!)}` : uri;
}

/** Reads a Step Functions failure cause: the SageMaker job description JSON, or plain text. */
export function explainFailure(error: string, cause: string): { summary: string; hint?: string } {
  let summary = cause;
  try {
    const parsed = JSON.parse(cause) as Record<string, unknown>;
    // A processing job's own words (ExitMessage, from /opt/ml/output/message) beat its generic FailureReason.
    const texts = [parsed.ExitMessage, parsed.FailureReason, parsed.errorMessage, parsed.Message].filter(
      (t): t is string => typeof t === 'string' && t.trim() !== '',
    );
    const job = parsed.TrainingJobName ?? parsed.ProcessingJobName;
    if (texts.length > 0) summary = job ? `${String(job)}: ${texts[0]}` : texts[0]!;
  } catch {
    // plain-text cause
  }
  const text = `${error} ${cause}`;
  let hint: string | undefined;
  if (/ResourceLimitExceeded/i.test(text)) {
    hint =
      'SageMaker quota: the account has no capacity left for this instance type (new accounts often start with a quota of 0). Request an increase in Service Quotas > Amazon SageMaker, or choose another instance type in the pipeline config.';
  } else if (/AccessDenied|not authorized/i.test(text)) {
    hint = 'Permissions: a role lacks access. Check that the data and pipeline stacks were deployed from the same config, and the KMS key policy.';
  } else if (/Sandbox\.Timedout|Task timed out/i.test(text)) {
    hint =
      'Function time-out: a Lambda step ran out of time (dataset validation copies the accepted files into the run, up to dataset.maxBytes). Split the dataset into more, smaller files or lower dataset.maxBytes, then drop it again under a new dataset id.';
  } else if (/States\.Timeout|MaxRuntimeExceeded|Stopping/i.test(text)) {
    hint = 'Time limit: raise maxRuntimeSeconds for the step in the pipeline config, or use a larger instance type.';
  } else if (/EndpointBusyError|Cannot update in-progress endpoint/i.test(text)) {
    hint =
      'Endpoint busy: another update of the endpoint did not finish in time. Wait until it is InService (see the endpoint page), then approve the model again.';
  } else if (/InvalidInputError|EvaluationReportError/.test(error)) {
    hint = 'Contract: a step received input it does not understand; see the execution for the exact field.';
  }
  return { summary: summary || error, ...(hint ? { hint } : {}) };
}

/** One formatter for every message the platform sends. */
export function formatNotification(n: Notification, ctx: NotifyContext): FormattedMessage {
  const tag = `[${ctx.project}-${ctx.stage}] ${ctx.pipeline}`;
  const lines: string[] = [];
  let subject: string;
  switch (n.kind) {
    case 'model-registered': {
      const pending = n.approvalStatus === 'PendingManualApproval';
      subject = pending
        ? `${tag}: new model awaits approval (${n.metric} ${round(n.value)})`
        : `${tag}: new model registered and approved (${n.metric} ${round(n.value)})`;
      lines.push(
        pending
          ? 'A new model passed the quality gate and waits for your approval.'
          : 'A new model passed the quality gate and was approved automatically (stage autoApprove).',
        '',
        `Model package: ${n.modelPackageArn}`,
        `${n.metric}: ${n.value}`,
        ...listLines(n.reasons, 'Note: '),
        '',
        `Review and approve: ${registryLink(ctx.region, ctx.modelPackageGroup)}`,
        ...(pending ? [`Or with the CLI: aws sagemaker update-model-package --model-package-arn ${n.modelPackageArn} --model-approval-status Approved`] : []),
      );
      break;
    }
    case 'gate-failed':
      subject = `${tag}: model did not pass the quality gate (${n.metric} ${round(n.value)})`;
      lines.push('The new model was not registered.', '', `${n.metric}: ${n.value} (threshold ${n.threshold})`, ...listLines(n.reasons));
      break;
    case 'data-rejected':
      subject = `${tag}: dataset rejected`;
      lines.push(
        'The dataset was not used. The original files are untouched. Quarantine holds reason.json, which names every file, and copies of the files (none when the dataset was too large or its upload never finished).',
        '',
        ...listLines(n.reasons, '- ', reasonJson(n.quarantineUri)),
        '',
        `Quarantine: ${s3Link(ctx.region, n.quarantineUri)}`,
      );
      break;
    case 'dataset-already-trained':
      subject = `${tag}: dataset ${n.datasetId} was already trained, nothing started`;
      lines.push(
        `Files arrived under ${clip(n.datasetUri, 1100)} (${clip(n.key, 300)} among them), but dataset ${clip(n.datasetId, 1100)} already had its training run: re-uploading to a dataset id starts nothing, now or later.`,
        'Upload to a new dataset id (a date, for example) to train again. Your files are untouched.',
        '',
        `Earlier run: ${executionLink(ctx.region, n.executionArn)}`,
      );
      break;
    case 'dataset-late-files':
      subject = `${tag}: ${n.lateCount === 1 ? 'a file' : `${n.lateCount} files`} arrived late in dataset ${n.datasetId}, not in its run`;
      lines.push(
        `${n.lateCount === 1 ? 'This file' : 'These files'} landed under ${clip(n.datasetUri, 1100)} after its training run had listed the dataset. The run goes on without ${n.lateCount === 1 ? 'it' : 'them'}: no file is added to a run once listed, and no second run starts.`,
        '',
        ...listLines(n.lateKeys, '- ', n.lateCount > n.lateKeys.length ? `… and ${n.lateCount - n.lateKeys.length} more` : undefined),
        '',
        'To train on the complete data, drop all of it under a new dataset id (a date, for example). This is reported once per dataset. Your files are untouched.',
        '',
        `Run: ${executionLink(ctx.region, n.executionArn)}`,
      );
      break;
    case 'failed':
    case 'deployment-failed': {
      const { summary, hint } = explainFailure(n.error, n.cause);
      const version = n.kind === 'deployment-failed' ? n.modelPackageArn?.split('/').pop() : undefined;
      subject =
        n.kind === 'failed' ? `${tag}: ${n.workflow} failed (${n.error})` : `${tag}: deployment of model${version ? ` v${version}` : ''} failed (${n.error})`;
      lines.push(`Error: ${clip(n.error, 200)}`, `Cause: ${clip(summary)}`, ...(hint ? ['', hint] : []));
      if (n.kind === 'deployment-failed')
        lines.push(
          '',
          ...(n.created ? whatCreateLeft(n.created) : whatIsLeft(n.recovery, ctx.pipeline)),
          ...(n.modelPackageArn ? [`Model package: ${n.modelPackageArn}`] : []),
        );
      break;
    }
    default: {
      const m = formatDeployment(n, tag, ctx.region, registryLink(ctx.region, ctx.modelPackageGroup), ctx.modelPackageGroup);
      subject = m.subject;
      lines.push(...m.lines);
    }
  }
  lines.push('');
  if (n.datasetUri) lines.push(`Dataset: ${clip(n.datasetUri, 1100)}`);
  lines.push(`Pipeline: ${ctx.pipeline}   Stage: ${ctx.stage}`, ...(n.executionArn ? [`Execution: ${executionLink(ctx.region, n.executionArn)}`] : []));
  const attributes = { pipeline: ctx.pipeline, stage: ctx.stage, kind: n.kind };
  const budget = MAX_MESSAGE_BYTES - Object.entries(attributes).reduce((b, [k, v]) => b + Buffer.byteLength(`${k}String${v}`, 'utf8'), 0);
  const cut = `\n… (message cut to fit SNS's size limit${n.executionArn ? `; the execution has every detail: ${executionLink(ctx.region, n.executionArn)}` : ''})`;
  return { subject: subjectLine(subject), body: fitBytes(lines.join('\n'), budget, cut), attributes };
}

/** Where validate-dataset writes every reason of a rejected dataset. */
const reasonJson = (quarantineUri: string) => `${quarantineUri.endsWith('/') ? quarantineUri : `${quarantineUri}/`}reason.json`;

const round = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));

type Recovery = Extract<Notification, { kind: 'deployment-failed' }>['recovery'];

type Created = NonNullable<Extract<Notification, { kind: 'deployment-failed' }>['created']>;

/** A first deployment (no production before it) that failed after creating its endpoint. */
function whatCreateLeft(c: Created): string[] {
  const before = `There was no production model before this deployment. It created endpoint ${c.endpoint}, then failed`;
  if (c.deleted)
    return [
      `${before}; the workflow started deleting the endpoint (it is Deleting, then gone), so nothing serves. Its model and endpoint config remain (they cost nothing).`,
      'The package stays Approved: approve it again to retry (the deployment waits while the endpoint is being deleted).',
    ];
  return [
    `${before}, and deleting the endpoint failed too (${clip(c.error ?? 'Unknown', 200)}: ${clip(c.cause ?? '')}).`,
    'Delete it by hand before approving the package again (the next approval creates it anew):',
    `  aws sagemaker delete-endpoint --endpoint-name ${c.endpoint}`,
  ];
}

/** The state a failed deployment left production in, as the recovery found and made it. */
function whatIsLeft(r: Recovery, pipeline: string): string[] {
  if (!r) return ['Production is unchanged: the deployment failed before it changed the endpoint.'];
  // A model that failed its shadow test (or its promotion's alarms) is not one to approve again as is.
  const next =
    r.rollbackReasons.length > 0
      ? `The new model was being rolled back (${clip(r.rollbackReasons.join('; '), 400)}) when this failure came, so its package was not marked Rejected: reject it in the console, or approve it again to test it once more.`
      : 'The package stays Approved: approve it again to retry.';
  if (r.outcome === 'restored') {
    return [
      `The deployment changed the endpoint, then failed. Production was restored: ${r.previousModel} serves alone again (endpoint config ${r.restoreConfig})${r.scaled ? ', auto-scaling is registered' : ''}, no shadow variant remains.`,
      next,
    ];
  }
  if (r.outcome === 'checked') {
    return [
      `${r.changed ? 'Production serves the previous model alone again' : 'Production is unchanged'}: ${r.previousModel}${r.scaled ? '; auto-scaling is registered' : ''}.`,
      next,
    ];
  }
  return [
    `The deployment changed the endpoint and failed, and restoring production failed too (${clip(r.error ?? 'Unknown', 200)}: ${clip(r.cause ?? '')}).`,
    'The endpoint may still serve the new model or a shadow variant, or run without auto-scaling. Restore production by hand:',
    `  aws sagemaker update-endpoint --endpoint-name ${r.endpoint} --endpoint-config-name ${r.previousConfig} --retain-all-variant-properties`,
    `then register auto-scaling again (README, "Roll back by hand"; pipeline ${pipeline}).`,
    ...(r.rollbackReasons.length > 0 ? [next] : []),
  ];
}
