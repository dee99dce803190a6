import { asArray } from '../account';

type Json = Record<string, any>;

const CONTEXT_KEY = /^kms:EncryptionContext:/i;

/** IAM's matching for the operators a key policy uses on an encryption context (`*` and `?` wildcards for *Like). */
const OPERATORS: Record<string, (actual: string, pattern: string) => boolean> = {
  StringEquals: (a, p) => a === p,
  ArnEquals: (a, p) => a === p,
  StringLike: (a, p) => glob(p).test(a),
  ArnLike: (a, p) => glob(p).test(a),
};

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/**
 * `@cloud-copilot/iam-simulate` knows condition keys with a variable part only after a "/"
 * (`aws:RequestTag/<key>`). KMS's `kms:EncryptionContext:<key>` has it after a ":", so the
 * simulator ignores it and such a statement would never match. This evaluates those conditions as
 * IAM does, before the simulation: a statement whose encryption-context conditions hold keeps its
 * other conditions for the simulator; one whose conditions fail is dropped. An operator it does
 * not know is an error, never a silent allow.
 */
export function resolveEncryptionContext(document: Json, context: Record<string, string | string[]> = {}): Json {
  const statements = asArray(document.Statement) as Json[];
  if (!statements.some((s) => s.Condition && JSON.stringify(s.Condition).match(/"kms:EncryptionContext:/i))) return document;
  const kept = statements.flatMap((s) => {
    if (!s.Condition || !/"kms:EncryptionContext:/i.test(JSON.stringify(s.Condition))) return [s];
    const condition: Json = {};
    for (const [operator, block] of Object.entries(s.Condition as Json)) {
      const rest: Json = {};
      for (const [key, values] of Object.entries(block as Json)) {
        if (!CONTEXT_KEY.test(key)) {
          rest[key] = values;
          continue;
        }
        const ifExists = operator.endsWith('IfExists');
        const match = OPERATORS[operator.replace(/IfExists$/, '')];
        if (!match) throw new Error(`offline authorization cannot evaluate ${operator} on ${key}: add it to offline/iam/encryption-context.ts`);
        const actual = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
        if (actual === undefined) {
          if (ifExists) continue;
          return [];
        }
        if (![actual].flat().some((a) => [values].flat().some((p: string) => match(a, p)))) return [];
      }
      if (Object.keys(rest).length > 0) condition[operator] = rest;
    }
    const { Condition: _, ...unconditioned } = s;
    return [Object.keys(condition).length > 0 ? { ...unconditioned, Condition: condition } : unconditioned];
  });
  return { ...document, Statement: kept };
}
