import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SynthesizedAccount } from './account';

type Json = Record<string, any>;

/** A resource a Control Tower control refuses: its stack and logical id, and the control's rule. */
export interface HookViolation {
  readonly resource: string;
  readonly rule: string;
  readonly control: string;
}

/** Where `@cdklabs/cdk-validator-cfnguard` keeps the Control Tower rules and the cfn-guard binary for this machine. */
function guardFiles(): { rules: string; binary: string } {
  const root = dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return {
    rules: join(root, 'rules', 'control-tower', 'cfn-guard'),
    binary: join(root, 'bin', process.platform === 'darwin' ? 'macos' : 'ubuntu', arch, 'cfn-guard'),
  };
}

const guardRules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? guardRules(join(dir, e.name)) : e.name.endsWith('.guard') ? [join(dir, e.name)] : [],
  );

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
    for (const stack of stacks) {
      for (const [id, r] of Object.entries(account.template(stack).Resources as Record<string, Json>)) {
        if (!r.Type.startsWith('AWS::') || r.Type === 'AWS::CDK::Metadata') continue;
        const properties = account.resolve(r.Properties ?? {}, stack) as Json;
        writeFileSync(join(dir, `${stack}~${id}.json`), JSON.stringify({ [r.Type]: { resourceProperties: properties } }));
      }
    }
    const files = guardRules(rules).filter(
      (f) =>
        !disabled.includes(
          f
            .split('/')
            .pop()!
            .replace(/\.guard$/, ''),
        ),
    );
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
