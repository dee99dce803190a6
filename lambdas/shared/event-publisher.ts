import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { envReader, requireEnv } from './env';
import type { Logger } from './logger';
import { PlatformError } from './errors';
import { DETAIL_TYPES, type FactInput, factDetail, type LifecycleContext, lifecycleEnv, lifecycleSource } from './lifecycle';

/** EventBridge refused the entry (FailedEntryCount > 0: throttled or an internal failure). Retryable. */
export class EventDeliveryError extends PlatformError {}

/** EventBridge's limit on one PutEvents entry (Time, Source, DetailType, Detail and Resources together). */
export const MAX_ENTRY_BYTES = 256 * 1024;
/** Room for the Time field and rounding: the detail is cut well before the limit. */
const ENTRY_MARGIN_BYTES = 1024;

/** Announces one fact; returns the event id. */
export type FactPublisher = (fact: FactInput) => Promise<string>;

const readEnv = envReader(lifecycleEnv);

/** The names an event carries and its bus, from the environment of every announcing function (lifecycleEnvShape). */
export function lifecycleContextFromEnv(env: NodeJS.ProcessEnv = process.env): LifecycleContext {
  const e = readEnv(env);
  return {
    project: e.PROJECT,
    stage: e.STAGE,
    pipeline: e.PIPELINE_NAME,
    region: requireEnv('AWS_REGION', env),
    modelPackageGroup: e.MODEL_PACKAGE_GROUP,
    eventBus: e.EVENT_BUS_NAME,
  };
}

/** The PutEvents entry of a fact, its detail cut to fit one entry. */
export function factEntry(fact: FactInput, ctx: LifecycleContext) {
  const Source = lifecycleSource(ctx.project);
  const detail = factDetail(fact, ctx);
  const DetailType = DETAIL_TYPES[detail.kind as keyof typeof DETAIL_TYPES];
  const arn = detail.modelPackageArn;
  const Resources = typeof arn === 'string' ? [arn] : [];
  const fixed = Buffer.byteLength(Source + DetailType + Resources.join(''), 'utf8') + ENTRY_MARGIN_BYTES;
  return { EventBusName: ctx.eventBus, Source, DetailType, Detail: fitDetail(detail, MAX_ENTRY_BYTES - fixed), Resources };
}

/**
 * The detail as JSON within `maxBytes`: while it is too large, every string is cut to a shorter
 * length and every list to fewer items (at least one, so that it stays valid), and `truncated` says
 * so. Identifiers (ARNs, names) are far shorter than the shortest cut.
 */
export function fitDetail(detail: Record<string, unknown>, maxBytes: number): string {
  let json = JSON.stringify(detail);
  for (let chars = 8192, items = 200; Buffer.byteLength(json, 'utf8') > maxBytes; chars = Math.floor(chars / 2), items = Math.ceil(items / 2)) {
    if (chars < 512) throw new EventDeliveryError(`the ${String(detail.kind)} event does not fit EventBridge's entry even cut down`);
    json = JSON.stringify({ ...(cut(detail, chars, items) as object), truncated: true });
  }
  return json;
}

function cut(value: unknown, chars: number, items: number): unknown {
  if (typeof value === 'string') return value.length > chars ? `${value.slice(0, chars)}…` : value;
  if (Array.isArray(value)) return value.slice(0, Math.max(1, items)).map((v) => cut(v, chars, items));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, chars, items)]));
  return value;
}

/** The publisher of a function whose environment has the lifecycle variables (read at each call, like every contract). */
export const envAnnouncer =
  (client: EventBridgeClient, env: NodeJS.ProcessEnv = process.env): FactPublisher =>
  (fact) =>
    eventBridgePublisher(client, lifecycleContextFromEnv(env))(fact);

/** Attempts at an entry that PutEvents refuses (FailedEntryCount: throttled or an internal failure), which the SDK does not retry. */
const ENTRY_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Announces facts on the stage's bus with PutEvents. An entry that EventBridge refuses is sent
 * again (100 ms, then 200 ms later); refused every time, it throws {@link EventDeliveryError}.
 */
export function eventBridgePublisher(client: EventBridgeClient, ctx: LifecycleContext, pause = sleep): FactPublisher {
  return async (fact) => {
    const entry = factEntry(fact, ctx);
    let refusal = '';
    for (let attempt = 1; attempt <= ENTRY_ATTEMPTS; attempt++) {
      if (attempt > 1) await pause(100 * 2 ** (attempt - 2));
      const out = await client.send(new PutEventsCommand({ Entries: [entry] }));
      const result = out.Entries?.[0];
      if (!out.FailedEntryCount && result?.EventId) return result.EventId;
      refusal = `${result?.ErrorCode ?? 'no result'} ${result?.ErrorMessage ?? ''}`.trim();
    }
    throw new EventDeliveryError(`EventBridge refused the ${entry.DetailType} event ${ENTRY_ATTEMPTS} times: ${refusal}`);
  };
}

/**
 * For a function whose work is not the announcement (validation, deployment decisions, the drift
 * check): a fact that cannot be sent is logged as an error and the work goes on (the execution
 * history keeps it). The notify function announces without this: its workflow step fails visibly.
 */
export const bestEffort =
  (announce: FactPublisher, log: Logger): FactPublisher =>
  async (fact) => {
    try {
      return await announce(fact);
    } catch (e) {
      log.error('lifecycle event not sent', { kind: fact.kind, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      return '';
    }
  };
