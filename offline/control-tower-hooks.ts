import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardFiles, guardRules, ruleName, rulesForOtherTypes } from '../lib/control-tower-rules';
import type { SynthesizedAccount } from './account';

type Json = Record<string, any>;

/** A resource a Control Tower control refuses: its stack and logical id, and the control's rule. */
export interface HookViolation {
  readonly resource: string;
  readonly rule: string;
  readonly control: string;
}

/**
 * The Control Tower controls as AWS runs them at deploy time: as CloudFormation hooks, which see
 * each resource's properties resolved (an imported key is its ARN). Every resource of `stacks`
 * is resolved by the offline account and handed to cfn-guard in the hook's input form
 * (`{ "<type>": { "resourceProperties": … } }`) with every bundled rule file but `disabled`
 * (file names, `ct-s3-pr-9`). Custom resources have no controls and are skipped.
 */
export function hookViolations(account: SynthesizedAccount, stacks: readonly string[], disabled: readonly string[]): HookViolation[] {
  const { rules, binary } = guardFiles();
  const dir = mkdtempSync(join(tmpdir(), 'ct-hooks-'));
  try {
    const types = new Set<string>();
    for (const stack of stacks) {
      for (const [id, r] of Object.entries(account.template(stack).Resources as Record<string, Json>)) {
        if (!r.Type.startsWith('AWS::') || r.Type === 'AWS::CDK::Metadata') continue;
        types.add(r.Type);
        const properties = account.resolve(r.Properties ?? {}, stack) as Json;
        writeFileSync(join(dir, `${stack}~${id}.json`), JSON.stringify({ [r.Type]: { resourceProperties: properties } }));
      }
    }
    // Only the rules that judge a type present: the others would skip every resource.
    const off = new Set([...disabled, ...rulesForOtherTypes(types)]);
    const files = guardRules(rules).filter((f) => !off.has(ruleName(f)));
    let out: string;
    try {
      out = execFileSync(
        binary,
        ['validate', ...files.flatMap((f) => ['--rules', f]), '--data', dir, '--output-format', 'json', '--show-summary', 'none', '--structured'],
        {
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        },
      );
    } catch (e) {
      // cfn-guard exits 19 when a rule fails, its report still on stdout; any other code is an error.
      if ((e as { status?: number }).status !== 19) throw e;
      out = (e as { stdout: string }).stdout;
    }
    return (JSON.parse(out) as Json[]).flatMap((result) =>
      (result.not_compliant ?? []).map((c: Json) => ({
        resource: String(result.name)
          .split('/')
          .pop()!
          .replace(/\.json$/, '')
          .replace('~', '/'),
        rule: c.Rule?.name ?? 'unknown',
        control: /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(JSON.stringify(c))?.[1] ?? 'unknown',
      })),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
