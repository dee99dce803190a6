/** DescribeEndpoint's answer for an endpoint that does not exist: a ValidationException, not a modeled NotFound. */
export function isEndpointNotFound(err: unknown): boolean {
  return (err as Error)?.name === 'ValidationException' && /Could not find endpoint/i.test((err as Error).message);
}
