import type { SynthesizedAccount } from '../../offline/account';
import { AccessDeniedError, Authorizer, type Decision } from '../../offline/iam/authorizer';

/**
 * The statements that allowed some of `decisions` but are not needed: with the statement removed
 * (alone), the request is still allowed. Each removal must deny with AWS's message naming the
 * action and resource. Returns the redundant ones (expected: none) and how many were tried.
 */
export async function redundantStatements(account: SynthesizedAccount, decisions: readonly Decision[]): Promise<{ tried: number; redundant: string[] }> {
  const byStatement = new Map<string, Decision>();
  for (const d of decisions) for (const g of d.grants) byStatement.set(`${g.principal}|${g.policy}|${g.statement}`, d);
  const redundant: string[] = [];
  for (const [key, d] of byStatement) {
    const [principal, policy, statement] = key.split('|') as [string, string, string];
    const authorizer = new Authorizer(account);
    authorizer.removeStatement(principal, policy, Number(statement));
    const denied = await authorizer.authorize(d.request).then(
      () => undefined,
      (e: Error) => e,
    );
    if (!(denied instanceof AccessDeniedError) || !denied.message.includes(`${d.request.action} on resource: ${d.request.resource}`))
      redundant.push(`${policy} statement ${statement} (${d.request.action} on ${d.request.resource})`);
  }
  return { tried: byStatement.size, redundant };
}
