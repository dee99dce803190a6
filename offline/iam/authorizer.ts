import { runSimulation } from '@cloud-copilot/iam-simulate';
import { accountOfArn, asArray, type NamedPolicy, type SynthesizedAccount } from '../account';
import { resolveEncryptionContext } from './encryption-context';

type Json = Record<string, any>;

/** One request as IAM sees it: who, what, on which resource, with which request context. */
export interface AuthRequest {
  /** A role ARN, or a service principal (`cloudwatch.amazonaws.com`) for a delivery by a service. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** What made the request (for reports): `lambda deployment: GetObject`, `state Train`, … */
  readonly via: string;
}

/** The statement of a policy that allowed a request (policy name and statement index). */
export interface GrantRef {
  readonly principal: string;
  readonly policy: string;
  readonly statement: number;
}

export interface Decision {
  readonly request: AuthRequest;
  readonly allowed: boolean;
  readonly reason?: string;
  readonly grants: GrantRef[];
}

/** Thrown like AWS's AccessDenied: the message names principal, action and resource. */
export class AccessDeniedError extends Error {
  override readonly name: string;
  constructor(
    readonly request: AuthRequest,
    reason: string,
    errorName = 'AccessDeniedException',
  ) {
    super(`User: ${request.principal} is not authorized to perform: ${request.action} on resource: ${request.resource} because ${reason}`);
    this.name = errorName;
  }
}

const SECURE = { 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.3' };

/**
 * Authorizes requests the way AWS evaluates them, with the synthesized identity policies of the
 * caller and the target's resource-based policy (bucket, topic, queue, key, function, event bus,
 * model package group, trust policy), in the account that owns the target (a request across
 * accounts needs both sides to allow it), by `@cloud-copilot/iam-simulate` (a test-only
 * devDependency, never bundled). Every decision is recorded, with the identity-policy statements
 * that allowed it, for the least-privilege report (resource-policy statements are not reported).
 */
export class Authorizer {
  readonly decisions: Decision[] = [];
  /** Policies removed on purpose (tests prove that the enforcement can fail). */
  private readonly removed = new Set<string>();
  private readonly cache = new Map<string, Promise<Omit<Decision, 'request'>>>();

  constructor(readonly account: SynthesizedAccount) {}

  /** Drops one statement of a role's identity policy, or of a resource policy (`resource:<arn>`), for the rest of the run. */
  removeStatement(principalOrResource: string, policy: string, statement: number): void {
    this.removed.add(`${principalOrResource}|${policy}|${statement}`);
    this.cache.clear();
  }

  /** Evaluates a request; throws {@link AccessDeniedError} when AWS would deny it. */
  async authorize(request: AuthRequest, errorName?: string): Promise<void> {
    const key = JSON.stringify([request.principal, request.action, request.resource, request.context]);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.evaluate(request);
      this.cache.set(key, pending);
    }
    const d = { request, ...(await pending) };
    this.decisions.push(d);
    if (!d.allowed) throw new AccessDeniedError(request, d.reason!, errorName);
  }

  private identityPolicies(principal: string): NamedPolicy[] {
    const role = this.account.role(principal);
    if (!role) return [];
    return role.policies.map((p) => ({ name: p.name, document: this.without(principal, p.name, p.document) }));
  }

  private without(owner: string, policy: string, document: Json): Json {
    const statements = asArray(document.Statement);
    if (![...this.removed].some((r) => r.startsWith(`${owner}|${policy}|`))) return document;
    return { ...document, Statement: statements.filter((_, i) => !this.removed.has(`${owner}|${policy}|${i}`)) };
  }

  private async evaluate(request: AuthRequest): Promise<Omit<Decision, 'request'>> {
    const isRole = request.principal.startsWith('arn:');
    const policies = this.identityPolicies(request.principal);
    const resourcePolicy = this.account.resourcePolicyFor(request.resource);
    // The resource's account decides whether a request crosses accounts (then both sides' policies must allow it).
    const owner = this.account.ownerOf(request.resource).id;
    const result = await runSimulation(
      {
        request: {
          principal: request.principal,
          action: request.action,
          resource: { resource: request.resource, accountId: accountOfArn(request.resource) ?? owner },
          // A service acting for a resource's owner (a delivery in one account) names that account.
          // Global condition keys IAM sets: aws:PrincipalArn and aws:PrincipalAccount for a role, aws:PrincipalIsAWSService for both.
          contextVariables: {
            ...SECURE,
            ...(isRole
              ? { 'aws:PrincipalArn': request.principal, 'aws:PrincipalAccount': accountOfArn(request.principal)!, 'aws:PrincipalIsAWSService': 'false' }
              : // aws:SourceAccount is the account of the resource the service acts for (aws:SourceArn), else the target's.
                { 'aws:SourceAccount': accountOfArn(String(request.context?.['aws:SourceArn'] ?? '')) ?? owner, 'aws:PrincipalIsAWSService': 'true' }),
            ...request.context,
          },
        },
        identityPolicies: policies.map((p) => ({ name: p.name, policy: resolveEncryptionContext(p.document, request.context) })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy
          ? { resourcePolicy: resolveEncryptionContext(this.without(`resource:${request.resource}`, 'resource', resourcePolicy), request.context) }
          : {}),
      },
      {},
    );
    if (result.resultType === 'error')
      throw new Error(
        `cannot evaluate ${request.action} on ${request.resource} for ${request.principal} (${request.via}): ${result.errors.message} ${JSON.stringify(result.errors).slice(0, 600)}`,
      );
    const analysis = result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
    const allowed = result.overallResult === 'Allowed';
    const grants = (analysis?.identityAnalysis?.allowStatements ?? []).map((s: Json) => ({
      principal: request.principal,
      policy: String(s.policyId),
      statement: statementIndex(policies.find((p) => p.name === s.policyId)?.document, s.statement),
    }));
    return { allowed, grants, ...(allowed ? {} : { reason: denialReason(result.overallResult, analysis as Json | undefined, isRole) }) };
  }

  /** Requests denied so far. */
  denied(): Decision[] {
    return this.decisions.filter((d) => !d.allowed);
  }
}

/**
 * Where the statement that allowed a request is in its policy as synthesized: an exact match, or,
 * for a statement whose encryption-context condition was resolved before evaluation (see
 * encryption-context.ts), the one that equals it but for its condition.
 */
function statementIndex(document: Json | undefined, statement: Json): number {
  const all = asArray<Json>(document?.Statement);
  const exact = all.findIndex((s) => JSON.stringify(s) === JSON.stringify(statement));
  if (exact >= 0) return exact;
  // The simulator's statement is a JSON value once serialized (its own fields are not the policy's).
  const { Condition: _c, ...rest } = JSON.parse(JSON.stringify(statement)) as Json;
  return all.findIndex(({ Condition: _d, ...other }) => JSON.stringify(other) === JSON.stringify(rest));
}

/** AWS's wording of why a request was denied. */
function denialReason(result: string, analysis: Json | undefined, isRole: boolean): string {
  if (result === 'ExplicitlyDenied') {
    if (analysis?.resourceAnalysis?.result === 'ExplicitlyDenied') return 'of an explicit deny in a resource-based policy';
    return 'of an explicit deny in an identity-based policy';
  }
  if (isRole && analysis?.identityAnalysis?.result !== 'Allowed' && analysis?.resourceAnalysis?.result !== 'Allowed')
    return 'no identity-based policy allows the action';
  return 'no resource-based policy allows the action';
}
