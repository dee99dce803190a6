import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, logInvocation } from '../../lambdas/shared/logger';

const context = {
  awsRequestId: 'req-123',
  functionName: 'mlops-dev-breast-cancer-notify',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:mlops-dev-breast-cancer-notify',
  memoryLimitInMB: '256',
} as Context;

describe("the Lambdas' logger", () => {
  const level = process.env.LOG_LEVEL;
  afterEach(() => {
    process.env.LOG_LEVEL = level;
    vi.restoreAllMocks();
  });

  it('writes one JSON line per entry with the service, the request id and cold start of the invocation', () => {
    process.env.LOG_LEVEL = 'INFO';
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const log = createLogger('notify');
    logInvocation(log, context);
    log.info('notification published', { subject: 'x' });
    const entry = JSON.parse(lines.find((l) => l.includes('notification published'))!);
    expect(entry).toMatchObject({
      level: 'INFO',
      service: 'notify',
      message: 'notification published',
      subject: 'x',
      function_request_id: 'req-123',
      function_name: 'mlops-dev-breast-cancer-notify',
    });
    expect(typeof entry.cold_start).toBe('boolean');
  });
});
