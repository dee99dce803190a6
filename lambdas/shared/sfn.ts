import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

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
): Promise<{ status: 'started' | 'exists'; executionArn: string }> {
  // An execution's ARN: arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name>.
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { status: 'started', executionArn: out.executionArn ?? executionArn };
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') return { status: 'exists', executionArn };
    throw e;
  }
}

/** An execution's state: running, closed, or missing (never started, or forgotten 90 days after it closed). */
export async function executionState(client: SFNClient, executionArn: string): Promise<'running' | 'closed' | 'missing'> {
  try {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? 'running' : 'closed';
  } catch (e) {
    if (e instanceof ExecutionDoesNotExist || (e as Error).name === 'ExecutionDoesNotExist') return 'missing';
    throw e;
  }
}
