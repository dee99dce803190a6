import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { describe, expect, it } from 'vitest';
import { synthPlatform } from '../../offline/synth';
import { allow } from '../../lib/constructs/scoped-policy';

// The built-in CloudFormation validation is the subject here too (setup.ts turns it off elsewhere).
process.env.CDK_VALIDATION = 'true';

/** Synthesizes with the AwsSolutions pack; returns the error text, or the report when it passed. */
function synthWithNag(options: Parameters<typeof synthPlatform>[1] & { breakIt?: boolean } = {}) {
  const s = synthPlatform(undefined, { ...options, nag: true });
  if (options.breakIt) {
    const stack = s.stages.get('dev')!.pipelines[0]!;
    new iam.Role(stack, 'OverlyBroad', { assumedBy: new iam.AccountRootPrincipal() }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
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

describe("aws-cdk-lib's CloudFormation validation (schemas and rules), with findings as errors", () => {
  it('is on in this file and its findings are errors, so the synths above passed it', () => {
    expect(process.env.CDK_VALIDATION).toBe('true');
    expect(FEATURE_FLAGS['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  it('fails the synth on a property the resource schema does not have', () => {
    const app = new App({ context: FEATURE_FLAGS });
    const stack = new Stack(app, 'Broken');
    new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeoutSecs: 30 } });
    expect(() => app.synth()).toThrow(/VisibilityTimeoutSecs/);
  });
});

describe('least-privilege statements', () => {
  it('fail the synth, naming the construct, when a wildcard carries no reason', () => {
    const app = new App({ context: FEATURE_FLAGS });
    const stack = new Stack(app, 'Scratch');
    const role = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    allow(role, { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] });
    expect(() => app.synth()).toThrow(/Scratch\/Worker.*\n?.*wildcard in Resource::arn:aws:s3:::bucket\/\* needs a wildcardReason/);
  });
});
