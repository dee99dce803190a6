import type { WorkflowStarter } from '../../lambdas/dataset-trigger/logic';
import type { WorkflowInput } from '../../lambdas/shared/run';

/**
 * Step Functions' documented StartExecution semantics for standard workflows: a new name starts
 * an execution; the same name with the same input while it runs returns the original; otherwise
 * the name is taken (ExecutionAlreadyExists).
 */
export class FakeStepFunctions implements WorkflowStarter {
  readonly executions = new Map<string, { input: string; status: 'RUNNING' | 'SUCCEEDED' }>();
  readonly calls: string[] = [];

  async start(name: string, input: WorkflowInput) {
    this.calls.push(name);
    const body = JSON.stringify(input);
    const existing = this.executions.get(name);
    const arn = `arn:aws:states:eu-west-1:111122223333:execution:training:${name}`;
    if (!existing) {
      this.executions.set(name, { input: body, status: 'RUNNING' });
      return { status: 'started' as const, executionArn: arn };
    }
    if (existing.status === 'RUNNING' && existing.input === body) return { status: 'started' as const, executionArn: arn };
    return { status: 'exists' as const };
  }
}
