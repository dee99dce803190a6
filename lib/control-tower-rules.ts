import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `@cdklabs/cdk-validator-cfnguard` keeps the Control Tower rules and the cfn-guard binary for this machine. */
export function guardFiles(): { rules: string; binary: string } {
  const root = dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return {
    rules: join(root, 'rules', 'control-tower', 'cfn-guard'),
    binary: join(root, 'bin', process.platform === 'darwin' ? 'macos' : 'ubuntu', arch, 'cfn-guard'),
  };
}

/** Every rule file under `dir` (one per control: ct-s3-pr-9.guard). */
export const guardRules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? guardRules(join(dir, e.name)) : e.name.endsWith('.guard') ? [join(dir, e.name)] : [],
  );

/** A rule file's name as the plugin disables it: ct-s3-pr-9. */
export const ruleName = (file: string): string =>
  file
    .split('/')
    .pop()!
    .replace(/\.guard$/, '');

/**
 * The bundled rules (by name, as the plugin disables them) that judge none of `types`: each Control
 * Tower rule names the resource types it selects (`Type == "AWS::S3::Bucket"`), so the others could
 * only skip, and cfn-guard's time grows with the rules it evaluates on every resource (237 rules,
 * about 6 s for one stage's templates).
 */
export function rulesForOtherTypes(types: ReadonlySet<string>): string[] {
  return guardRules(guardFiles().rules)
    .filter((f) => !(readFileSync(f, 'utf8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []).some((t) => types.has(t)))
    .map(ruleName);
}
