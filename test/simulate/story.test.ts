import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { playStory, type StoryResult } from '../../tools/simulate/story';
import { redundantStatements } from '../helpers/least-privilege';
import { describeWithMlPython } from '../helpers/ml-python';
import { publishedSchemas } from '../helpers/published-schemas';
import { dataStackName } from '../../lib/config/naming';
import { DETAIL_TYPES, EMAILED_KINDS } from '../../lambdas/shared/lifecycle';

/**
 * `npm run simulate`, asserted: the whole lifecycle on the synthesized default app, with the
 * real Lambda handlers, the synthesized state machines in aws-local-stepfunctions, the
 * synthesized event patterns routing events, and SageMaker jobs and endpoints run for real by
 * the local python3 (see tools/simulate).
 */
let story: StoryResult;
const subjects = () => story.cloud.notifications.map((n) => n.subject);

describeWithMlPython('npm run simulate', () => {
  beforeAll(async () => {
    story = await playStory();
  }, 120_000);

  it('trains once on a 3-file drop and registers a model waiting for approval', () => {
    expect(story.steps.firstTraining).toMatchObject({
      runs: 1,
      status: 'SUCCEEDED',
      approval: 'PendingManualApproval',
      package: expect.stringMatching(/model-package\/mlops-dev-breast-cancer\/1$/),
    });
    expect(subjects()[1]).toMatch(/^\[mlops-dev\] breast-cancer: new model awaits approval \(auc (0\.9\d+|1\.00)\)$/);
  });

  it('reports a file that lands after the run listed its dataset, by name, once, and the run goes on without it (#17 A)', () => {
    expect(story.steps.firstTraining!.lateEmail).toBe('[mlops-dev] breast-cancer: a file arrived late in dataset 2026-11-20, not in its run');
    const late = story.cloud.notifications.find((n) => n.subject.includes('arrived late'))!;
    expect(late.body).toContain('- breast-cancer/2026-11-20/part-4.csv');
    expect(late.body).toContain('drop all of it under a new dataset id');
    const artifacts = story.cloud.env['validate-dataset']!.ARTIFACTS_BUCKET!;
    const lineages = story.cloud.store
      .keys(artifacts, 'breast-cancer/runs/')
      .filter((k) => k.endsWith('lineage.json'))
      .map((k) => JSON.parse(story.cloud.store.get(artifacts, k)!) as { dataset: string; objects: { key: string }[] });
    const objects = lineages.find((l) => l.dataset.endsWith('/breast-cancer/2026-11-20/'))!.objects;
    expect(objects.map((o) => o.key)).toEqual([
      'breast-cancer/2026-11-20/part-1.csv',
      'breast-cancer/2026-11-20/part-2.csv',
      'breast-cancer/2026-11-20/part-3.csv',
    ]);
  });

  it('creates the endpoint on approval, and it answers with the trained model', () => {
    expect(story.steps.firstDeployment).toMatchObject({ endpoint: 'InService', variants: { production: { VariantName: 'primary' } } });
    expect(story.steps.traffic).toMatchObject({ answered: 60 });
    expect(story.steps.traffic!.correct as number).toBeGreaterThanOrEqual(55);
  });

  it('shadow-tests the second approved model on mirrored traffic and promotes it', () => {
    expect(story.steps.secondTraining).toMatchObject({ approval: 'PendingManualApproval', package: expect.stringMatching(/\/2$/) });
    const p = story.steps.promotion as {
      status: string;
      comparison: { decision: string; agreementPairs: number; shadow: { invocations: number } };
      live: { production: { ModelName: string }; shadow?: unknown };
    };
    expect(p.status).toBe('SUCCEEDED');
    expect(p.comparison).toMatchObject({ decision: 'promote', basis: 'evidence', shadow: { invocations: 150 } });
    expect(p.comparison.agreementPairs).toBe(150);
    expect(p.live.production.ModelName).toMatch(/^mlops-dev-breast-cancer--m2-/);
    expect(p.live.shadow).toBeUndefined();
    expect(subjects()).toContain('[mlops-dev] breast-cancer: model v2 is live on mlops-dev-breast-cancer (promoted)');
  });

  it('detects drifted traffic and starts one retraining run on the latest dataset', () => {
    expect(story.steps.drift).toMatchObject({
      metric: { namespace: 'MLOps/mlops-dev-breast-cancer', name: 'DriftedFeatures' },
      retrainReason: 'drift',
      retrainStatus: 'SUCCEEDED',
      packages: 3,
    });
    expect((story.steps.drift!.metric as { value: number }).value).toBeGreaterThanOrEqual(1);
    expect(story.steps.drift!.retrainStarted).toMatch(/^breast-cancer-retrain-\d+$/);
    // Drift that lasts is asked about again (#19 item 5): the hourly recheck reads the alarm, still in ALARM, and finds this drift answered.
    expect(story.steps.drift!.recheck).toMatchObject({
      action: 'skipped',
      reason: expect.stringMatching(/^the drift alarm has been in ALARM since .* started after that/),
    });
    // The retraining trained on the snapshot the second drop's run took, byte for byte as accepted.
    const [first, second, retrained] = story.steps.drift!.snapshots as string[];
    expect(second).toMatch(/^s3:\/\/mlops-dev-artifacts-111122223333-eu-west-1\/breast-cancer\/runs\/[0-9a-f]{12}\/data\/input\/$/);
    expect(first).not.toBe(second);
    expect(retrained).toBe(second);
  });

  it('delivers the drift alarm to the encrypted topic as CloudWatch (topic policy and key policy allow it)', () => {
    expect(story.cloud.failedDeliveries).toEqual([]);
    expect(subjects()).toContain('ALARM: "mlops-dev-breast-cancer-drift" in eu-west-1');
  });

  it('authorizes every request of the lifecycle against the synthesized IAM and resource policies, and AWS would deny none', () => {
    const decisions = story.cloud.authorizer.decisions;
    expect(decisions.length).toBeGreaterThan(300);
    expect(story.cloud.authorizer.denied().map((d) => `${d.request.via}: ${d.request.action} on ${d.request.resource}: ${d.reason}`)).toEqual([]);
    const principals = new Set(decisions.map((d) => d.request.principal));
    for (const p of ['events.amazonaws.com', 'scheduler.amazonaws.com', 'cloudwatch.amazonaws.com']) expect(principals).toContain(p);
    expect([...principals].filter((p) => p.startsWith('arn:aws:iam::')).length).toBeGreaterThanOrEqual(10);
  });

  it("announces each lifecycle fact on the stage's bus, every event valid against the schema the registry publishes, and e-mails from those events", () => {
    const { put } = story.cloud.eventBridge;
    const schemas = publishedSchemas(story.cloud.account.template(dataStackName('mlops', 'dev')));
    expect(put.map((e) => e.event['detail-type'])).toEqual([
      'Dataset Accepted',
      'Dataset Late Files',
      'Model Registered',
      'Deployment Started',
      'Model Live',
      'Dataset Accepted',
      'Model Registered',
      'Deployment Started',
      'Shadow Verdict',
      'Model Live',
      'Drift Detected',
      'Retraining Started',
      'Dataset Accepted',
      'Model Registered',
      'Dataset Rejected',
      'Dataset Already Trained',
    ]);
    for (const { bus, event } of put) {
      expect(bus).toBe('mlops-dev-lifecycle');
      expect(event.source).toBe('mlops.mlops');
      expect(schemas.problems(event), event['detail-type']).toEqual([]);
    }
    const live = put.find((e) => e.event['detail-type'] === 'Model Live')!.event;
    expect(live.detail).toMatchObject({ schemaVersion: '1', stage: 'dev', pipeline: 'breast-cancer', modelPackageVersion: 1, how: 'created' });
    expect(live.resources).toEqual([live.detail.modelPackageArn]);
    // Every e-mail of the lifecycle came through its event (the alarm's comes from CloudWatch); the rest are events only.
    const emailed = put.filter((e) => (EMAILED_KINDS as readonly string[]).includes(e.event.detail.kind));
    expect(story.cloud.notifications.filter((n) => !n.subject.startsWith('ALARM')).length).toBe(emailed.length);
    expect(put.length - emailed.length).toBe(8);
  });

  it('publishes a schema for every detail-type, and the schemas reject an event that breaks them', () => {
    const schemas = publishedSchemas(story.cloud.account.template(dataStackName('mlops', 'dev')));
    expect(schemas.detailTypes.sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    expect(schemas.names).toContain('mlops.mlops@ModelLive');
    const live = story.cloud.eventBridge.put.find((e) => e.event['detail-type'] === 'Model Live')!.event;
    expect(schemas.problems({ ...live, detail: { ...live.detail, how: 'sideways' } })).toEqual([expect.stringContaining('/detail/how')]);
    expect(schemas.problems({ ...live, detail: { ...live.detail, schemaVersion: '2' } })).not.toEqual([]);
    expect(schemas.problems({ ...live, source: 'mlops.other' })).not.toEqual([]);
  });

  it('leaves no grant of the platform unexercised without a reason, and says so in one line', () => {
    expect(story.unexercised.filter((g) => !g.reason)).toEqual([]);
    expect(story.timeline.find((l) => l.includes('requests authorized'))).toMatch(
      /^\n\d{3,} requests authorized against the synthesized policies, 0 denied; \d+ grants never exercised \(\d+ with their reason, 0 unexplained\)\.$/,
    );
  });

  it('needs every statement it exercises: without it, a request the story made is denied', async () => {
    const { tried, redundant } = await redundantStatements(story.cloud.account, story.cloud.authorizer.decisions);
    expect(tried).toBeGreaterThan(40);
    expect(redundant).toEqual([]);
  });

  it('quarantines a bad drop with its reason and says so', () => {
    expect(story.steps.badDrop).toMatchObject({
      quarantine: ['quarantine/breast-cancer/bad-header/data.csv', 'quarantine/breast-cancer/bad-header/reason.json'],
      lastEmail: '[mlops-dev] breast-cancer: dataset rejected',
    });
  });

  it('starts nothing when a trained dataset id gets a new file, and says why in one e-mail', () => {
    expect(story.steps.reupload).toEqual({ started: 0, lastEmail: '[mlops-dev] breast-cancer: dataset 2026-11-20 was already trained, nothing started' });
  });

  it('first checks every synthesized resource against the CloudFormation registry schemas', () => {
    expect(story.timeline[0]).toMatch(/^Synthesized 2 stacks; all \d{2,} resources match the CloudFormation registry schemas/);
  });

  it('prints a readable timeline and ends by itself', () => {
    expect(story.timeline.filter((l) => l.startsWith('\n['))).toHaveLength(8);
    expect(story.timeline.at(-1)).toMatch(/^\nDone in [\d.]+ s: 7 executions, 3 model packages, 9 e-mails\.$/);
    expect(story.cloud.executions.every((x) => x.status === 'SUCCEEDED')).toBe(true);
  });

  it("matches the README's sample run, line by line, digits and hashes aside (#19 item 6)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('```\n', readme.indexOf('A sample run')) + 4;
    const sample = readme.slice(start, readme.indexOf('```', start)).trimEnd().split('\n');
    // Timings, run and execution ids, dates and counts change from run to run; the story's steps and messages do not.
    const shape = (line: string) => line.replace(/[0-9a-f]{8,}/g, 'H').replace(/\d+(\.\d+)?/g, '#');
    const printed = story.timeline.join('\n').trimEnd().split('\n');
    expect(sample.map(shape)).toEqual(printed.map(shape).slice(printed.findIndex((l) => l.startsWith('Synthesized'))));
  });
});
