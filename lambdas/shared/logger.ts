import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** What the platform's code logs through: structured entries, one JSON line each. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  /** Adds the invocation's request id, function and cold start to every later entry (a handler calls it first). */
  addContext?(context: Context): void;
}

/**
 * The Lambdas' logger: Powertools for AWS Lambda's Logger (≈ 24 KB bundled) behind the port, so
 * entries carry the service, the request id, cold start and the X-Ray trace id, at LOG_LEVEL.
 */
export function createLogger(service: string): Logger {
  const log = new PowertoolsLogger({ serviceName: service, logLevel: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'INFO' });
  return {
    debug: (m, d) => log.debug(m, d ?? {}),
    info: (m, d) => log.info(m, d ?? {}),
    warn: (m, d) => log.warn(m, d ?? {}),
    error: (m, d) => log.error(m, d ?? {}),
    addContext: (context) => log.addContext(context),
  };
}

/** Collects entries in memory; for tests of logic that must log a decision. */
export function memoryLogger(): Logger & { entries: { level: LogLevel; message: string; data?: Record<string, unknown> }[] } {
  const entries: { level: LogLevel; message: string; data?: Record<string, unknown> }[] = [];
  const push = (level: LogLevel) => (message: string, data?: Record<string, unknown>) => entries.push({ level, message, data });
  return { entries, debug: push('DEBUG'), info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}

/** A handler's first step: later entries carry the invocation's request id and cold start. */
export function logInvocation(log: Logger, context: Context | undefined): void {
  if (context) log.addContext?.(context);
}
