import { globToRegExp } from '../../lambdas/shared/glob';
import { asArray, type SynthesizedAccount } from '../account';
import type { Decision } from './authorizer';

/** One granted action of one statement of a role's identity policy. */
export interface Grant {
  readonly role: string;
  readonly policy: string;
  readonly statement: number;
  readonly action: string;
  readonly resources: string[];
}

export interface UnexercisedGrant extends Grant {
  /** Why no offline request uses it; undefined = unexplained. */
  readonly reason?: string;
}

/** Roles that run only while CloudFormation deploys or deletes a stack (CDK's own helpers): nothing offline runs as them. */
const DEPLOY_TIME_ROLES = /BucketNotificationsHandler|MlCodeRole|LogRetention|CustomS3AutoDeleteObjects/;

const pattern = (p: string) => globToRegExp(p, 'i');

/**
 * Every (role, statement, action) Allow of the platform's own roles that no recorded decision
 * used, each with its reason from `reasons` (matched on `<role logical id>|<action>`, both as
 * regular expressions) when one applies.
 */
export function unexercisedGrants(
  account: SynthesizedAccount,
  decisions: readonly Decision[],
  reasons: readonly (readonly [RegExp, string])[],
  /** Only the roles of these stacks (the ones a story played); default every stack. */
  stacks?: readonly string[],
): UnexercisedGrant[] {
  const used = decisions.filter((d) => d.allowed).flatMap((d) => d.grants.map((g) => ({ ...g, action: d.request.action })));
  const out: UnexercisedGrant[] = [];
  for (const role of account.roles.values()) {
    if (DEPLOY_TIME_ROLES.test(role.logicalId) || (stacks && !stacks.includes(role.stack))) continue;
    for (const policy of role.policies) {
      asArray(policy.document.Statement).forEach((s: Record<string, any>, i) => {
        if (s.Effect !== 'Allow') return;
        for (const action of asArray<string>(s.Action)) {
          const exercised = used.some((u) => u.principal === role.arn && u.policy === policy.name && u.statement === i && pattern(action).test(u.action));
          if (exercised) continue;
          const key = `${role.logicalId}|${action}`;
          const reason = reasons.find(([re]) => re.test(key))?.[1];
          out.push({ role: role.logicalId, policy: policy.name, statement: i, action, resources: asArray<string>(s.Resource), ...(reason ? { reason } : {}) });
        }
      });
    }
  }
  return out;
}
