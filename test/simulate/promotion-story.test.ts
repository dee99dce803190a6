import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseS3Uri } from '../../lambdas/shared/object-store';
import { accountOfArn } from '../../offline/account';
import { AccessDeniedError, Authorizer, type Decision } from '../../offline/iam/authorizer';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { LocalCloud } from '../../offline/local-cloud';
import { synthPlatform } from '../../offline/synth';
import { crossAccount, type PromotingStage, promotingStages } from '../../tools/simulate/promotion';
import { playStory, type StoryResult } from '../../tools/simulate/story';
import { redundantStatements } from '../helpers/least-privilege';
import { describeWithMlPython } from '../helpers/ml-python';

const ROOT = join(__dirname, '..', '..');
const DEV = '111111111111';
const PROD = '222222222222';

/**
 * `npm run simulate -- -c config=examples/promote-dev-to-prod.json --data examples/churn.csv`
 * (#14 part 2): dev and prod synthesized as two offline accounts, linked. Models that go live in
 * dev are forwarded to prod's bus, copied across accounts, hash-checked and registered pending;
 * prod's operator approves one and prod's own deployment workflow puts it live. Every request,
 * the cross-account ones included, is authorized against both accounts' synthesized policies.
 */
let story: StoryResult;
let prod: PromotingStage;
type Pkg = Record<string, any>;
const prodPackages = () => [...prod.cloud.sageMaker.packages.values()] as Pkg[];
const devPackage = (version: number) => ([...story.cloud.sageMaker.packages.values()] as Pkg[]).find((p) => p.ModelPackageVersion === version)!;
const sha256 = (uri: string) => {
  const { bucket, key } = parseS3Uri(uri);
  return createHash('sha256').update(story.cloud.store.getBuffer(bucket, key)!).digest('hex');
};

describeWithMlPython('npm run simulate on two stages in two accounts (promoteFrom)', () => {
  beforeAll(async () => {
    story = await playStory({ configFile: join(ROOT, 'examples', 'promote-dev-to-prod.json'), dataFile: join(ROOT, 'examples', 'churn.csv') });
    prod = story.promoting[0]!;
  }, 120_000);

  it("is the README's example command, and plays prod as its own account", () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(
      'npm run simulate -- -c config=examples/promote-dev-to-prod.json --data examples/churn.csv\n',
    );
    expect(story.promoting.map((t) => [t.stage, t.cloud.account.id])).toEqual([['prod', PROD]]);
    expect(story.cloud.account.id).toBe(DEV);
  });

  it('registers each model that went live in dev in prod, pending (the one approved later: Approved), once, as the very same bytes in prod’s own bucket', () => {
    const pkgs = prodPackages();
    expect(pkgs.map((p) => p.CustomerMetadataProperties['promoted-from'])).toEqual(
      [1, 2].map((v) => `arn:aws:sagemaker:eu-west-1:${DEV}:model-package/acme-dev-churn/${v}`),
    );
    expect(pkgs.map((p) => p.ModelApprovalStatus)).toEqual(['PendingManualApproval', 'Approved']);
    for (const [i, p] of pkgs.entries()) {
      const source = devPackage(i + 1);
      const url = p.InferenceSpecification.Containers[0].ModelDataUrl as string;
      expect(url).toMatch(new RegExp(`^s3://acme-prod-artifacts-${PROD}-eu-west-1/churn/runs/from-dev-v${i + 1}/`));
      expect(p.CustomerMetadataProperties['model-sha256']).toBe(source.CustomerMetadataProperties['model-sha256']);
      expect(sha256(url)).toBe(source.CustomerMetadataProperties['model-sha256']);
      expect(sha256(url)).toBe(sha256(source.InferenceSpecification.Containers[0].ModelDataUrl));
      expect(p.CustomerMetadataProperties.lineage).toBe(`s3://acme-prod-artifacts-${PROD}-eu-west-1/churn/runs/from-dev-v${i + 1}/input/lineage.json`);
    }
  });

  it("e-mails prod's operators from prod's bus, and prod's deployment workflow puts the approved model live", () => {
    const subjects = prod.cloud.notifications.map((n) => n.subject);
    expect(subjects).toEqual([
      '[acme-prod] churn: model v1 (dev v1) awaits approval',
      '[acme-prod] churn: model v2 (dev v2) awaits approval',
      '[acme-prod] churn: model v2 is live on acme-prod-churn (created)',
    ]);
    const step = story.steps['promotion:prod'] as { endpoint: string; answered: number; correct: number; live: { production: { ModelName: string } } };
    expect(step).toMatchObject({ endpoint: 'InService', answered: 60 });
    expect(step.correct).toBeGreaterThanOrEqual(55);
    expect(step.live.production.ModelName).toMatch(/^acme-prod-churn--m2-/);
    expect(prod.cloud.executions.map((x) => [x.machine.split(':').pop(), x.status])).toEqual([['acme-prod-churn-deployment', 'SUCCEEDED']]);
    expect(prod.cloud.eventBridge.put.map((e) => [e.bus, e.event['detail-type'], e.event.account])).toEqual([
      ['acme-prod-lifecycle', 'Model Promoted', PROD],
      ['acme-prod-lifecycle', 'Model Promoted', PROD],
      ['acme-prod-lifecycle', 'Deployment Started', PROD],
      ['acme-prod-lifecycle', 'Model Live', PROD],
    ]);
  });

  it('authorizes every request of both accounts, 0 denied, and crosses accounts only where the promotion needs it', () => {
    const all = [...story.cloud.authorizer.decisions, ...prod.cloud.authorizer.decisions];
    expect(all.filter((d) => !d.allowed)).toEqual([]);
    expect([...story.cloud.failedDeliveries, ...prod.cloud.failedDeliveries]).toEqual([]);
    const across = new Set(
      all
        .filter((d) => crossAccount(story.cloud.account, d))
        .map((d) => `${d.request.principal.split('/').pop()} ${d.request.action} ${accountOfArn(d.request.resource) ?? d.request.resource.split('/')[0]}`),
    );
    expect([...across].sort()).toEqual([
      `acme-dev-to-prod-events events:PutEvents ${PROD}`,
      `acme-prod-churn-promote kms:Decrypt ${DEV}`,
      `acme-prod-churn-promote s3:GetObject arn:aws:s3:::acme-dev-artifacts-${DEV}-eu-west-1`,
      `acme-prod-churn-promote sagemaker:DescribeModelPackage ${DEV}`,
    ]);
    expect(story.timeline.find((l) => l.startsWith('prod: '))).toMatch(
      /^prod: \d+ requests authorized, 0 denied \(\d+ requests of the two stages crossed accounts\); 2 model packages, 1 execution, 3 e-mails; promotion role: 0 grants unexercised without a reason\.$/,
    );
  });

  it("needs the other account's resource policy for each request that crosses accounts: without it, IAM denies it", async () => {
    const across = new Map<string, Decision>();
    for (const d of [...story.cloud.authorizer.decisions, ...prod.cloud.authorizer.decisions].filter((x) => crossAccount(story.cloud.account, x)))
      across.set(`${d.request.principal} ${d.request.action} ${d.request.resource}`, d);
    expect(across.size).toBeGreaterThanOrEqual(6);
    for (const d of across.values()) {
      const caller = accountOfArn(d.request.principal)!;
      const home = caller === DEV ? story.cloud.account : prod.cloud.account;
      const authorizer = new Authorizer(home);
      const policy = home.resourcePolicyFor(d.request.resource)!;
      // Only the statements that admit the caller's account: the rest of the policy stays as it is.
      const admitting = (policy.Statement as Record<string, any>[]).flatMap((st, i) =>
        JSON.stringify(st.Principal ?? '').includes(`::${caller}:`) ? [i] : [],
      );
      expect(admitting.length, `${d.request.action} on ${d.request.resource}`).toBeGreaterThan(0);
      for (const i of admitting) authorizer.removeStatement(`resource:${d.request.resource}`, 'resource', i);
      await expect(authorizer.authorize(d.request)).rejects.toBeInstanceOf(AccessDeniedError);
      // The same request with the policy in place is allowed: the removal is what denied it.
      await expect(new Authorizer(home).authorize(d.request)).resolves.toBeUndefined();
    }
  });

  it('needs every statement the promotion and the forwarding exercised: without it, a request of the story is denied', async () => {
    const ofRole = (name: string) => (d: Decision) => d.request.principal.endsWith(`:role/${name}`);
    const promote = await redundantStatements(prod.cloud.account, prod.cloud.authorizer.decisions.filter(ofRole('acme-prod-churn-promote')));
    const forward = await redundantStatements(story.cloud.account, story.cloud.authorizer.decisions.filter(ofRole('acme-dev-to-prod-events')));
    expect([promote.tried, forward.tried]).toEqual([expect.any(Number), 1]);
    expect(promote.tried).toBeGreaterThanOrEqual(9);
    expect([...promote.redundant, ...forward.redundant]).toEqual([]);
  });

  it('promotes a redelivered Model Live event once (the marker in the promoted run)', async () => {
    const live = story.cloud.eventBridge.put.filter((e) => e.event['detail-type'] === 'Model Live').at(-1)!;
    const before = prodPackages().length;
    const writes = () => prod.cloud.authorizer.decisions.filter((d) => d.request.action === 's3:PutObject').length;
    const written = writes();
    await prod.cloud.eventBridge.route(live.event, 'acme-prod-lifecycle');
    expect(prodPackages()).toHaveLength(before);
    // Not copied again: the marker ended it before any write (ClientToken alone would still have copied).
    expect(writes()).toBe(written);
    expect(prod.cloud.notifications.filter((n) => n.subject.includes('(dev v2) awaits approval'))).toHaveLength(1);
  });

  it('e-mails prod once about a model it refuses (its artifact changed after its evaluation), registers nothing, and keeps the event in prod’s failed deliveries', async () => {
    // Dev's v1, re-registered as v3 with a hash that its artifact does not have.
    const devPackages = story.cloud.sageMaker.packages;
    const v1 = [...devPackages.values()].find((p) => String(p.ModelPackageArn).endsWith('/acme-dev-churn/1'))!;
    const v3 = String(v1.ModelPackageArn).replace(/\/1$/, '/3');
    devPackages.set(v3, {
      ...v1,
      ModelPackageArn: v3,
      ModelApprovalStatus: 'Approved',
      CustomerMetadataProperties: { ...v1.CustomerMetadataProperties, 'model-sha256': '0'.repeat(64) },
    });
    const before = prodPackages().length;
    const decided = prod.cloud.authorizer.decisions.length;
    const live = story.cloud.eventBridge.put.filter((e) => e.event['detail-type'] === 'Model Live').at(-1)!;
    const event = { ...live.event, detail: { ...live.event.detail, modelPackageArn: v3 } };
    for (let delivery = 0; delivery < 2; delivery++) await story.cloud.eventBridge.route(event, 'acme-dev-lifecycle');
    expect(prodPackages()).toHaveLength(before);
    expect(prod.cloud.notifications.filter((n) => n.subject.includes('not promoted')).map((n) => n.subject)).toEqual([
      '[acme-prod] churn: the model live in dev v3 was not promoted (ArtifactMismatchError)',
    ]);
    expect(prod.cloud.failedDeliveries.at(-1)).toMatchObject({ error: expect.stringMatching(/ArtifactMismatchError|not the 0{64}/) });
    // The refusal's marker (refused.json in the version's run folder) is written under the promotion role's grant.
    expect(prod.cloud.authorizer.decisions.slice(decided).filter((d) => !d.allowed)).toEqual([]);
  });

  it('records a failure of the promotion in prod, where its DLQ is, not in dev’s forwarding', async () => {
    const describe = prod.cloud.authorizer.decisions.find((d) => d.request.action === 'sagemaker:DescribeModelPackage')!;
    const g = describe.grants[0]!;
    prod.cloud.authorizer.removeStatement(g.principal, g.policy, g.statement);
    const devFailures = story.cloud.failedDeliveries.length;
    // A version prod has not promoted (a promoted one ends at its marker, before any SageMaker call).
    const live = story.cloud.eventBridge.put.filter((e) => e.event['detail-type'] === 'Model Live').at(-1)!;
    const unpromoted = { ...live.event, detail: { ...live.event.detail, modelPackageArn: String(live.event.detail.modelPackageArn).replace(/\/\d+$/, '/99') } };
    await story.cloud.eventBridge.route(unpromoted, 'acme-dev-lifecycle');
    expect(story.cloud.failedDeliveries).toHaveLength(devFailures);
    expect(prod.cloud.failedDeliveries.at(-1)).toMatchObject({
      what: 'Model Live on arn:aws:events:eu-west-1:222222222222:event-bus/acme-prod-lifecycle',
      error: expect.stringMatching(/acme-prod-churn-promote is not authorized to perform: sagemaker:DescribeModelPackage/),
    });
  });
});

describe('a stage that promotes within its source’s account', () => {
  it('is not played offline, and the timeline says so', async () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'examples', 'promote-dev-to-prod.json'), 'utf8'));
    config.stages[1].account = DEV;
    const s = synthPlatform(undefined, { inline: config });
    const dev = s.stages.get('dev')!;
    const source = new LocalCloud(s.account(dev), dev.pipelines[0]!.stackName, pipelineSpec(s.config.pipelines[0]!), () => {});
    const lines: string[] = [];
    expect(promotingStages(s, s.config, source, 'churn', (l) => lines.push(l))).toEqual([]);
    expect(lines).toEqual([`Stage prod promotes from dev in the same account (${DEV}): not played offline, which links stages by account.`]);
  });
});
