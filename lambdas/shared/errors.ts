import type * as z from 'zod';

/**
 * Typed errors. Lambda reports `error.name` as the error type, so Step Functions Retry/Catch
 * and the trigger's DLQ can tell them apart. Retryable ones are transient by nature.
 */
export class PlatformError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The event or task input does not have the documented shape. Not retryable. */
export class InvalidInputError extends PlatformError {}

/** A required environment variable is missing or malformed: a deployment defect. */
export class MisconfiguredError extends PlatformError {}

/** The evaluation report is missing or lacks the configured metric. */
export class EvaluationReportError extends PlatformError {}

/** Parses `input` with `schema`, or throws InvalidInputError naming every bad field: `<what>: path: message; …`. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`${what}: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
