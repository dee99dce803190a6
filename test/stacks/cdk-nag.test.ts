import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { synthPlatform } from '../helpers/synth';

/** Synthesizes with the AwsSolutions pack; returns the error text, or the report when it passed. */
function synthWithNag(options: Parameters<typeof synthPlatform>[1] & { breakIt?: boolean } = {}) {
  const s = synthPlatform(undefined, { ...options, nag: true });
  if (options.breakIt) {
    const stack = s.stages.get('dev')!.pipelines[0]!;
    new iam.Role(stack, 'OverlyBroad', { assumedBy: new iam.AccountRootPrincipal() }).addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  }
  try {
    s.app.synth();
  } catch (e) {
    return { error: (e as Error).message };
  }
  const file = join(s.app.outdir, 'validation-report.json');
  return { report: existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pluginReports: { violations?: unknown[] }[] }) : undefined };
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each([
    ['the default config', undefined],
    ['examples/single-model.json', 'examples/single-model.json'],
    ['examples/two-models-two-stages.json', 'examples/two-models-two-stages.json'],
  ])('leave no unacknowledged finding for %s', (_, file) => {
    const out = synthWithNag(file ? { file } : {});
    expect(out.error).toBeUndefined();
    expect(out.report?.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('fail the synth on a wildcard policy that carries no acknowledgment', () => {
    const out = synthWithNag({ breakIt: true });
    expect(out.error).toMatch(/AwsSolutions-IAM5/);
    expect(out.error).toMatch(/OverlyBroad/);
  });
});
