import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/**
 * StartExecution by a deterministic name. Step Functions answers a repeat (same name, same input,
 * still running) with the same execution, and any other repeat with ExecutionAlreadyExists:
 * both mean "this work already has its run", reported as `exists`.
 */
export async function startOnce(
  client: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<{ status: 'started' | 'exists'; executionArn?: string }> {
  try {
    const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { status: 'started', executionArn: out.executionArn };
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') return { status: 'exists' };
    throw e;
  }
}
