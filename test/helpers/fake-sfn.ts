import type { WorkflowStarter } from '../../lambdas/dataset-trigger/logic';
import type { WorkflowInput } from '../../lambdas/shared/run';

/**
 * Step Functions' documented StartExecution semantics for standard workflows: a new name starts
 * an execution; the same name with the same input while it runs returns the original; otherwise
 * the name is taken (ExecutionAlreadyExists).
 */
export class FakeStepFunctions implements WorkflowStarter {
  readonly executions = new Map<string, { input: string; status: 'RUNNING' | 'SUCCEEDED' }>();
  /** Executions Step Functions has forgotten (90 days after they closed): their names can be used again. */
  readonly purged = new Set<string>();
  readonly calls: string[] = [];

  async start(name: string, input: WorkflowInput) {
    this.calls.push(name);
    const body = JSON.stringify(input);
    const existing = this.purged.has(name) ? undefined : this.executions.get(name);
    const arn = `arn:aws:states:eu-west-1:111122223333:execution:training:${name}`;
    if (!existing) {
      this.purged.delete(name);
      this.executions.set(name, { input: body, status: 'RUNNING' });
      return { status: 'started' as const, executionArn: arn };
    }
    if (existing.status === 'RUNNING' && existing.input === body) return { status: 'started' as const, executionArn: arn };
    return { status: 'exists' as const, executionArn: arn };
  }

  async state(executionArn: string) {
    const name = executionArn.split(':').pop()!;
    const e = this.purged.has(name) ? undefined : this.executions.get(name);
    return !e ? ('missing' as const) : e.status === 'RUNNING' ? ('running' as const) : ('closed' as const);
  }
}
