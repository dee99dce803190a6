/**
 * Documented AWS service limits the platform can hit, and checks that fail the way AWS does.
 *
 * Every number cites the AWS page it comes from. Sizes are UTF-8 bytes (`Buffer.byteLength`),
 * lengths are Unicode code points. Each check throws a {@link AwsLimitError} whose `name` is what
 * the AWS SDK for JavaScript v3 (or, for `States.*`, Step Functions' Catch) sees, and whose message
 * follows AWS's own wording where it has been observed (quoted in the TSDoc of each check).
 */

/** An error shaped like the AWS SDK v3's service exceptions: `name` is the error, `code` the wire code. */
export class AwsLimitError extends Error {
  readonly $fault = 'client' as const;
  constructor(
    name: string,
    message: string,
    readonly code: string = name,
  ) {
    super(message);
    this.name = name;
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Step Functions: max input or output of a task, state or execution, 256 KiB as UTF-8. @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html */
export const SFN_MAX_PAYLOAD_BYTES = 256 * KiB;
/** Step Functions: names of state machines, executions and activities, at most 80 characters. @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html */
export const SFN_MAX_NAME_LENGTH = 80;
/** Step Functions: characters a name must not contain (besides whitespace and control characters). @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
export const SFN_NAME_FORBIDDEN_CHARACTERS = '<>{}[]?*"#%\\^|~`$&,;:/';

/** SNS: Publish message size on a topic with the default MaximumMessageSize, body plus attributes. @see https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html */
export const SNS_MAX_MESSAGE_BYTES = 256 * KiB;
/** SNS: a Subject is "UTF-8 text with no line breaks or control characters, and less than 100 characters long". @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const SNS_MAX_SUBJECT_LENGTH = 99;

/** Lambda: synchronous invocation payload, request and response ("MB" means 1,024 KB in Lambda's docs). @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const LAMBDA_MAX_SYNC_PAYLOAD_BYTES = 6 * MiB;
/** Lambda: asynchronous invocation payload, raised from 256 KB to 1 MB in 2025. @see https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html */
export const LAMBDA_MAX_ASYNC_PAYLOAD_BYTES = 1 * MiB;

/** CloudWatch PutMetricData: at most 1000 different metrics per request. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
export const CW_MAX_METRICS_PER_REQUEST = 1000;
/** CloudWatch PutMetricData: an HTTP POST request is limited to 1 MB. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
export const CW_MAX_REQUEST_BYTES = 1 * MiB;
/** CloudWatch: up to 30 dimensions per metric. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html */
export const CW_MAX_DIMENSIONS = 30;
/** CloudWatch: dimension names hold 1–255 characters. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html */
export const CW_MAX_DIMENSION_NAME_LENGTH = 255;
/** CloudWatch: dimension values hold 1–1024 characters. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html */
export const CW_MAX_DIMENSION_VALUE_LENGTH = 1024;
/** CloudWatch: metric names and namespaces hold 1–255 characters. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html */
export const CW_MAX_NAME_LENGTH = 255;
/** CloudWatch: values must lie in -2^360..2^360; NaN and ±Infinity are not supported. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
export const CW_MAX_ABS_VALUE = 2 ** 360;
/** CloudWatch: up to 150 values per metric with Values and Counts. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
export const CW_MAX_VALUES_PER_METRIC = 150;

/**
 * EventBridge: a PutEvents entry (Time 14 bytes, Source, DetailType, Detail, Resources) must stay
 * within 256 KB. AWS announced 1 MB for event buses on 2026-01-29 (Compute Blog); the API reference
 * still says 256 KB, and the lower number is the safe one.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 256 * KiB;

/** UTF-8 size of a string. */
export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const codePoints = (s: string): number => [...s].length;

function forbiddenInName(name: string): string | undefined {
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    const control = cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffe || cp === 0xffff;
    const surrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (control || surrogate || /\s/u.test(ch) || SFN_NAME_FORBIDDEN_CHARACTERS.includes(ch)) return ch;
  }
  return undefined;
}

/**
 * StartExecution's name and input, in the order AWS checks them. Observed replies:
 * `ValidationException` "1 validation error detected: Value '<name>' at 'name' failed to satisfy constraint:
 * Member must have length less than or equal to 80", the same "Value at 'input' ... Member must have size less
 * than or equal to 262144 bytes in UTF-8 encoding", `InvalidName` "Invalid Name: '<name>'", and
 * `InvalidExecutionInput` "Invalid State Machine Execution Input: '...'".
 */
export function checkStartExecution(name: string, input = '{}'): void {
  const length = codePoints(name);
  if (length < 1)
    throw new AwsLimitError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  if (length > SFN_MAX_NAME_LENGTH) {
    throw new AwsLimitError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${SFN_MAX_NAME_LENGTH}`,
    );
  }
  if (utf8Bytes(input) > SFN_MAX_PAYLOAD_BYTES) {
    throw new AwsLimitError(
      'ValidationException',
      `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to ${SFN_MAX_PAYLOAD_BYTES} bytes in UTF-8 encoding`,
    );
  }
  if (forbiddenInName(name) !== undefined) throw new AwsLimitError('InvalidName', `Invalid Name: '${name}'`);
  try {
    JSON.parse(input);
  } catch (e) {
    throw new AwsLimitError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(e as Error).message}'`);
  }
}

/**
 * A state's input or output (JSON text) within 256 KiB, else `States.DataLimitExceeded` with the cause
 * Step Functions reports: "The state/task '<name>' returned a result with a size exceeding the maximum
 * number of bytes service limit."
 */
export function checkStateData(stateName: string, json: string): void {
  if (utf8Bytes(json) > SFN_MAX_PAYLOAD_BYTES) {
    throw new AwsLimitError(
      'States.DataLimitExceeded',
      `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
}

/** The parts of an SNS Publish request that limits apply to. */
export interface SnsPublishInput {
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly DataType: string; readonly StringValue?: string; readonly BinaryValue?: Uint8Array }>>;
}

/** Bytes SNS counts against MaximumMessageSize: the body plus each attribute's name, type and value. */
export function snsPublishBytes(input: SnsPublishInput): number {
  let n = utf8Bytes(input.Message);
  for (const [k, v] of Object.entries(input.MessageAttributes ?? {}))
    n += utf8Bytes(k) + utf8Bytes(v.DataType) + (v.StringValue !== undefined ? utf8Bytes(v.StringValue) : (v.BinaryValue?.byteLength ?? 0));
  return n;
}

/**
 * Subject and message size of SNS Publish. AWS answers `InvalidParameter` (the SDK's
 * `InvalidParameterException`) with "Invalid parameter: Subject" or "Invalid parameter: Message too long".
 * An empty Subject is refused too; leave it out instead.
 */
export function checkSnsPublish(input: SnsPublishInput): void {
  const bad = (what: string) => new AwsLimitError('InvalidParameterException', `Invalid parameter: ${what}`, 'InvalidParameter');
  if (input.Subject !== undefined) {
    const s = input.Subject;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SNS refuses
    if (codePoints(s) < 1 || codePoints(s) > SNS_MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(s) || /^\s/u.test(s))
      throw bad('Subject');
  }
  if (input.Message.length === 0) throw bad('Empty message');
  if (snsPublishBytes(input) > SNS_MAX_MESSAGE_BYTES) throw bad('Message too long');
}

/**
 * A Lambda Invoke payload. Observed replies: `RequestEntityTooLargeException` "Request must be smaller than
 * 6291456 bytes for the InvokeFunction operation" (sync) and "<n> byte payload is too large for the Event
 * invocation type (limit <limit> bytes)" (async).
 */
export function checkLambdaPayload(kind: 'sync' | 'async', payload: string): void {
  const bytes = utf8Bytes(payload);
  if (kind === 'sync' && bytes > LAMBDA_MAX_SYNC_PAYLOAD_BYTES) {
    throw new AwsLimitError(
      'RequestEntityTooLargeException',
      `Request must be smaller than ${LAMBDA_MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
    );
  }
  if (kind === 'async' && bytes > LAMBDA_MAX_ASYNC_PAYLOAD_BYTES) {
    throw new AwsLimitError(
      'RequestEntityTooLargeException',
      `${bytes} byte payload is too large for the Event invocation type (limit ${LAMBDA_MAX_ASYNC_PAYLOAD_BYTES} bytes)`,
    );
  }
}

/** The parts of a PutMetricData request that limits apply to. */
export interface PutMetricDataInput {
  readonly Namespace: string;
  readonly MetricData: readonly {
    readonly MetricName: string;
    readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
    readonly Value?: number;
    readonly Values?: readonly number[];
    readonly Counts?: readonly number[];
  }[];
}

/**
 * PutMetricData's documented limits; failures are `InvalidParameterValue` (the SDK's
 * `InvalidParameterValueException`). The request size is measured as the input's JSON, an
 * approximation of the HTTP body. The messages are ours: AWS's exact wording is not documented.
 */
export function checkPutMetricData(input: PutMetricDataInput): void {
  const bad = (msg: string) => new AwsLimitError('InvalidParameterValueException', msg, 'InvalidParameterValue');
  const nameOk = (s: string, max: number) => codePoints(s) >= 1 && codePoints(s) <= max;
  if (!nameOk(input.Namespace, CW_MAX_NAME_LENGTH) || input.Namespace.startsWith(':'))
    throw bad(`The value ${input.Namespace} for parameter Namespace is not valid.`);
  if (input.MetricData.length > CW_MAX_METRICS_PER_REQUEST)
    throw bad(`The collection MetricData must not have a size greater than ${CW_MAX_METRICS_PER_REQUEST}.`);
  const bytes = utf8Bytes(JSON.stringify(input));
  if (bytes > CW_MAX_REQUEST_BYTES) throw bad(`The request of ${bytes} bytes exceeds the ${CW_MAX_REQUEST_BYTES}-byte limit of PutMetricData.`);
  input.MetricData.forEach((m, i) => {
    const at = `MetricData.member.${i + 1}`;
    if (!nameOk(m.MetricName, CW_MAX_NAME_LENGTH)) throw bad(`The value for parameter ${at}.MetricName is not valid.`);
    const dims = m.Dimensions ?? [];
    if (dims.length > CW_MAX_DIMENSIONS) throw bad(`The collection ${at}.Dimensions must not have a size greater than ${CW_MAX_DIMENSIONS}.`);
    dims.forEach((d, j) => {
      if (!nameOk(d.Name, CW_MAX_DIMENSION_NAME_LENGTH) || d.Name.startsWith(':'))
        throw bad(`The value for parameter ${at}.Dimensions.member.${j + 1}.Name is not valid.`);
      if (!nameOk(d.Value, CW_MAX_DIMENSION_VALUE_LENGTH)) throw bad(`The value for parameter ${at}.Dimensions.member.${j + 1}.Value is not valid.`);
    });
    if ((m.Values?.length ?? 0) > CW_MAX_VALUES_PER_METRIC)
      throw bad(`The collection ${at}.Values must not have a size greater than ${CW_MAX_VALUES_PER_METRIC}.`);
    for (const v of [...(m.Value === undefined ? [] : [m.Value]), ...(m.Values ?? [])]) {
      if (!Number.isFinite(v) || Math.abs(v) > CW_MAX_ABS_VALUE) throw bad(`The value ${v} for parameter ${at}.Value is invalid.`);
    }
  });
}

/** A PutEvents entry as EventBridge sizes it. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: Date;
}

/** EventBridge's documented size of one PutEvents entry. */
export function putEventsEntryBytes(e: PutEventsEntry): number {
  return (
    (e.Time ? 14 : 0) +
    utf8Bytes(e.Source) +
    utf8Bytes(e.DetailType) +
    (e.Detail ? utf8Bytes(e.Detail) : 0) +
    (e.Resources ?? []).reduce((n, r) => n + utf8Bytes(r), 0)
  );
}

/** One PutEvents entry within the entry size limit; the error name and message are ours (not documented by AWS). */
export function checkPutEventsEntry(e: PutEventsEntry): void {
  const bytes = putEventsEntryBytes(e);
  if (bytes > EVENTBRIDGE_MAX_ENTRY_BYTES)
    throw new AwsLimitError(
      'ValidationException',
      `Total size of the entries in the request is over the limit: ${bytes} bytes, at most ${EVENTBRIDGE_MAX_ENTRY_BYTES}.`,
    );
}
