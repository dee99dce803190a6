import { describe, expect, it } from 'vitest';
import {
  CW_MAX_ABS_VALUE,
  CW_MAX_DIMENSIONS,
  CW_MAX_METRICS_PER_REQUEST,
  checkLambdaPayload,
  checkPutEventsEntry,
  checkPutMetricData,
  checkSnsPublish,
  checkStartExecution,
  checkStateData,
  LAMBDA_MAX_ASYNC_PAYLOAD_BYTES,
  LAMBDA_MAX_SYNC_PAYLOAD_BYTES,
  SFN_MAX_NAME_LENGTH,
  SFN_MAX_PAYLOAD_BYTES,
  SFN_NAME_FORBIDDEN_CHARACTERS,
  SNS_MAX_MESSAGE_BYTES,
  SNS_MAX_SUBJECT_LENGTH,
  snsPublishBytes,
} from '../../offline/limits';

/** A JSON string literal of exactly `bytes` UTF-8 bytes. */
const jsonOfBytes = (bytes: number) => JSON.stringify('a'.repeat(bytes - 2));

describe('Step Functions limits', () => {
  it('accepts an execution name of 80 characters and refuses 81 as AWS does', () => {
    expect(() => checkStartExecution('a'.repeat(SFN_MAX_NAME_LENGTH))).not.toThrow();
    const long = 'a'.repeat(SFN_MAX_NAME_LENGTH + 1);
    expect(() => checkStartExecution(long)).toThrow(
      expect.objectContaining({
        name: 'ValidationException',
        message: `1 validation error detected: Value '${long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`,
      }),
    );
  });

  it('counts characters, not bytes, in an execution name', () => {
    expect(() => checkStartExecution('é'.repeat(SFN_MAX_NAME_LENGTH))).not.toThrow();
  });

  it('refuses an empty execution name', () => {
    expect(() => checkStartExecution('')).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });

  it.each([...SFN_NAME_FORBIDDEN_CHARACTERS, ' ', '\t', '\n', '\u0000', '\u007f', '\u0085', '\u00a0', '\uffff'])(
    'refuses %j in an execution name with InvalidName',
    (ch) => {
      expect(() => checkStartExecution(`run${ch}1`)).toThrow(expect.objectContaining({ name: 'InvalidName', message: `Invalid Name: 'run${ch}1'` }));
    },
  );

  it('accepts the characters our names use', () => {
    expect(() => checkStartExecution('churn-d1_ab.C9')).not.toThrow();
  });

  it('accepts execution input of exactly 256 KiB and refuses one byte more', () => {
    expect(() => checkStartExecution('n', jsonOfBytes(SFN_MAX_PAYLOAD_BYTES))).not.toThrow();
    expect(() => checkStartExecution('n', jsonOfBytes(SFN_MAX_PAYLOAD_BYTES + 1))).toThrow(
      expect.objectContaining({
        name: 'ValidationException',
        message:
          "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding",
      }),
    );
  });

  it('measures input in UTF-8 bytes, not characters', () => {
    const twoByteChars = JSON.stringify('é'.repeat(SFN_MAX_PAYLOAD_BYTES / 2));
    expect(() => checkStartExecution('n', twoByteChars)).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });

  it('refuses input that is not JSON with InvalidExecutionInput', () => {
    expect(() => checkStartExecution('n', '{')).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput', message: expect.stringMatching(/^Invalid State Machine Execution Input: '/) }),
    );
  });

  it('accepts state data of exactly 256 KiB and fails one byte more with States.DataLimitExceeded', () => {
    expect(() => checkStateData('Validate', jsonOfBytes(SFN_MAX_PAYLOAD_BYTES))).not.toThrow();
    expect(() => checkStateData('Validate', jsonOfBytes(SFN_MAX_PAYLOAD_BYTES + 1))).toThrow(
      expect.objectContaining({
        name: 'States.DataLimitExceeded',
        message: "The state/task 'Validate' returned a result with a size exceeding the maximum number of bytes service limit.",
      }),
    );
  });
});

describe('SNS Publish limits', () => {
  it('accepts a subject of 99 characters and refuses 100 ("less than 100 characters")', () => {
    expect(() => checkSnsPublish({ Subject: 's'.repeat(SNS_MAX_SUBJECT_LENGTH), Message: 'm' })).not.toThrow();
    expect(() => checkSnsPublish({ Subject: 's'.repeat(SNS_MAX_SUBJECT_LENGTH + 1), Message: 'm' })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException', code: 'InvalidParameter', message: 'Invalid parameter: Subject' }),
    );
  });

  it.each(['line\nbreak', 'carriage\rreturn', 'tab\there', 'nul\u0000', '', ' leading space'])('refuses the subject %j', (Subject) => {
    expect(() => checkSnsPublish({ Subject, Message: 'm' })).toThrow(expect.objectContaining({ message: 'Invalid parameter: Subject' }));
  });

  it('accepts a message of exactly 256 KiB with its attributes and refuses one byte more', () => {
    const attributes = { kind: { DataType: 'String', StringValue: 'failed' } };
    const overhead = snsPublishBytes({ Message: '', MessageAttributes: attributes });
    expect(overhead).toBe('kind'.length + 'String'.length + 'failed'.length);
    const fits = { Message: 'm'.repeat(SNS_MAX_MESSAGE_BYTES - overhead), MessageAttributes: attributes };
    expect(() => checkSnsPublish(fits)).not.toThrow();
    expect(() => checkSnsPublish({ ...fits, Message: `${fits.Message}m` })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException', message: 'Invalid parameter: Message too long' }),
    );
  });

  it('measures the message in UTF-8 bytes', () => {
    expect(() => checkSnsPublish({ Message: '€'.repeat(SNS_MAX_MESSAGE_BYTES / 3 + 1) })).toThrow(
      expect.objectContaining({ message: 'Invalid parameter: Message too long' }),
    );
  });
});

describe('Lambda payload limits', () => {
  it('accepts a synchronous payload of 6 MB and refuses one byte more', () => {
    expect(() => checkLambdaPayload('sync', jsonOfBytes(LAMBDA_MAX_SYNC_PAYLOAD_BYTES))).not.toThrow();
    expect(() => checkLambdaPayload('sync', jsonOfBytes(LAMBDA_MAX_SYNC_PAYLOAD_BYTES + 1))).toThrow(
      expect.objectContaining({
        name: 'RequestEntityTooLargeException',
        message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      }),
    );
  });

  it('accepts an asynchronous payload of 1 MB and refuses one byte more', () => {
    expect(() => checkLambdaPayload('async', jsonOfBytes(LAMBDA_MAX_ASYNC_PAYLOAD_BYTES))).not.toThrow();
    expect(() => checkLambdaPayload('async', jsonOfBytes(LAMBDA_MAX_ASYNC_PAYLOAD_BYTES + 1))).toThrow(
      expect.objectContaining({
        name: 'RequestEntityTooLargeException',
        message: '1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)',
      }),
    );
  });
});

describe('CloudWatch PutMetricData limits', () => {
  const metric = (i: number, dims = 1) => ({
    MetricName: `m${i}`,
    Dimensions: Array.from({ length: dims }, (_, j) => ({ Name: `d${j}`, Value: 'v' })),
    Value: 1,
  });

  it('accepts 1000 metrics and refuses 1001', () => {
    expect(() => checkPutMetricData({ Namespace: 'MLOps', MetricData: Array.from({ length: CW_MAX_METRICS_PER_REQUEST }, (_, i) => metric(i)) })).not.toThrow();
    expect(() => checkPutMetricData({ Namespace: 'MLOps', MetricData: Array.from({ length: CW_MAX_METRICS_PER_REQUEST + 1 }, (_, i) => metric(i)) })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValueException', code: 'InvalidParameterValue' }),
    );
  });

  it('accepts 30 dimensions on a metric and refuses 31', () => {
    expect(() => checkPutMetricData({ Namespace: 'MLOps', MetricData: [metric(0, CW_MAX_DIMENSIONS)] })).not.toThrow();
    expect(() => checkPutMetricData({ Namespace: 'MLOps', MetricData: [metric(0, CW_MAX_DIMENSIONS + 1)] })).toThrow(
      /Dimensions must not have a size greater than 30/,
    );
  });

  it('accepts dimension values of 1024 characters and refuses 1025', () => {
    const withValue = (Value: string) => ({ Namespace: 'MLOps', MetricData: [{ MetricName: 'm', Dimensions: [{ Name: 'Pipeline', Value }], Value: 1 }] });
    expect(() => checkPutMetricData(withValue('v'.repeat(1024)))).not.toThrow();
    expect(() => checkPutMetricData(withValue('v'.repeat(1025)))).toThrow(/Dimensions.member.1.Value/);
  });

  it('accepts values up to 2^360 and refuses larger ones, NaN and infinities', () => {
    const withValue = (Value: number) => ({ Namespace: 'MLOps', MetricData: [{ MetricName: 'm', Value }] });
    expect(() => checkPutMetricData(withValue(CW_MAX_ABS_VALUE))).not.toThrow();
    expect(() => checkPutMetricData(withValue(-CW_MAX_ABS_VALUE))).not.toThrow();
    for (const v of [CW_MAX_ABS_VALUE * 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(() => checkPutMetricData(withValue(v))).toThrow(/is invalid/);
  });

  it('refuses a request over 1 MB', () => {
    const big = Array.from({ length: 40 }, (_, i) => ({
      MetricName: `m${i}`,
      Dimensions: Array.from({ length: 30 }, (_, j) => ({ Name: `d${j}`, Value: 'v'.repeat(1024) })),
      Value: 1,
    }));
    expect(() => checkPutMetricData({ Namespace: 'MLOps', MetricData: big })).toThrow(/exceeds the 1048576-byte limit/);
  });
});

describe('EventBridge PutEvents entry size', () => {
  it('counts Time as 14 bytes and refuses an entry one byte over 256 KB', () => {
    const base = { Source: 'mlops.demo', DetailType: 'Run Failed', Time: new Date(0) };
    const room = 256 * 1024 - 14 - base.Source.length - base.DetailType.length;
    expect(() => checkPutEventsEntry({ ...base, Detail: jsonOfBytes(room) })).not.toThrow();
    expect(() => checkPutEventsEntry({ ...base, Detail: jsonOfBytes(room + 1) })).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });
});
