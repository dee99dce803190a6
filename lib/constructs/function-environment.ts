import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EnvSchema, EnvValues } from '../../lambdas/shared/env';

/**
 * A function's environment from the contract its handler parses (`lambdas/<fn>/contract.ts`):
 * every variable the handler needs, no other, by type. Values known at synth are checked against
 * the contract now, on the construct, so the synth names it; tokens are checked by the handler.
 */
export function environmentFor<S extends EnvSchema>(scope: IConstruct, contract: S, values: EnvValues<S>): Record<string, string> {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values) as [string, string][]) {
    const variable = contract.shape[name];
    if (!variable) {
      problems.push(`environment variable ${name} is not in the function's contract (its handler would never read it)`);
      continue;
    }
    if (Token.isUnresolved(value)) continue;
    const parsed = variable.safeParse(value);
    if (!parsed.success)
      problems.push(`environment variable ${name} ("${value.slice(0, 80)}") is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length > 0) scope.node.addValidation({ validate: () => problems });
  return { ...values };
}
