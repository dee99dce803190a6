import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = new Tracer();

/**
 * An SDK client whose calls appear as X-Ray subsegments of the function's trace (Powertools
 * Tracer; active tracing is on for every platform function). Outside Lambda it is the client as is.
 */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
