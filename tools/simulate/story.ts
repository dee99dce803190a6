import { explainFailure } from '../../lambdas/notify/logic';
import { loadConfig } from '../../lib/config/load';
import { evaluationRule } from '../../lib/config/schema';
import { pipelinesOf } from '../../lib/config/stages';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { templateSchemaProblems } from '../../offline/cfn-schemas';
import { synthPlatform } from '../../offline/synth';
import { UNEXERCISED_REASONS } from '../../offline/iam/unexercised-reasons';
import { type UnexercisedGrant, unexercisedGrants } from '../../offline/iam/usage';
import { LocalCloud } from '../../offline/local-cloud';
import { askEndpoint, storyData, storyPipeline } from './dataset';
import { type PromotingStage, playPromotion, promotingStages, promotingSummary } from './promotion';

/** What happened, step by step, for the timeline and for the test's assertions. */
export interface StoryResult {
  readonly timeline: string[];
  readonly cloud: LocalCloud;
  readonly steps: Record<string, Record<string, unknown>>;
  readonly seconds: number;
  /** Grants of the platform's roles that no request of the story used, with their reasons. */
  readonly unexercised: UnexercisedGrant[];
  /** The stages that promote from the played one (`promoteFrom`), each in its own offline account. */
  readonly promoting: PromotingStage[];
}

/** The story cannot go on: a step ended otherwise than the script needs (the simulator prints it as one message, exit 1). */
export class StoryStopped extends Error {
  override readonly name = 'StoryStopped';
}

/** Why the last run of a workflow left the story without what it needs: its error and cause, the hint the e-mails give, the last e-mail. */
function whyStopped(cloud: LocalCloud, step: string, workflow: string, needed: string): StoryStopped {
  const run = [...cloud.executions].reverse().find((x) => x.machine.endsWith(`-${workflow}`));
  const lines = [`stopped at "${step}": ${needed}.`];
  if (run?.failure) {
    const { summary, hint } = explainFailure(run.failure.error, run.failure.cause);
    lines.push(`  the ${workflow} workflow failed: ${run.failure.error}: ${summary}`, ...(hint ? [`  hint: ${hint}`] : []));
  } else if (run) {
    lines.push(`  the ${workflow} workflow ${run.name} ended ${run.status}; its e-mail: ${cloud.notifications.at(-1)?.subject ?? '(none)'}`);
    const body =
      cloud.notifications
        .at(-1)
        ?.body.split('\n')
        .filter((l) => /^(- |Cause:|Error:|[A-Z][a-z]+ [a-z_]+ [<>≥≤=]|.*threshold)/.test(l)) ?? [];
    lines.push(...body.slice(0, 6).map((l) => `    ${l}`));
  } else lines.push(`  no ${workflow} workflow ran`);
  return new StoryStopped(lines.join('\n'));
}

export interface StoryOptions {
  /** A config file (`-c config=`), else the built-in default config. */
  readonly configFile?: string;
  /** The pipeline to play (`--pipeline`), else the config's first. */
  readonly pipeline?: string;
  /** A CSV with the pipeline's columns (`--data`), else the breast-cancer sample. */
  readonly dataFile?: string;
  readonly print?: (line: string) => void;
}

/**
 * The whole model lifecycle, played on the synthesized default app (or `configFile`), for one
 * pipeline of its first stage with one CSV: two datasets, two approvals (the second
 * shadow-tested, then promoted), drifted traffic that starts a retraining, and a bad drop that
 * ends in quarantine.
 */
export async function playStory(options: StoryOptions = {}): Promise<StoryResult> {
  const started = Date.now();
  const timeline: string[] = [];
  const log = (line: string) => {
    timeline.push(line);
    options.print?.(line);
  };
  // The pipeline and the data are checked before the (slow) synth.
  const config = loadConfig(options.configFile ? { file: options.configFile } : {});
  const pipelines = pipelinesOf(config, config.stages[0]!);
  const p = storyPipeline(pipelines, options.pipeline);
  const data = storyData(p, options.dataFile);
  const s = synthPlatform(undefined, options.configFile ? { file: options.configFile } : {});
  const stage = s.stages.get(config.stages[0]!.name)!;
  let resources = 0;
  for (const st of s.stages.values()) {
    for (const stack of [st.data, ...st.pipelines]) {
      const r = templateSchemaProblems(s.template(stack).toJSON());
      if (r.problems.length > 0) throw new Error(`${stack.stackName} does not match the CloudFormation registry schemas:\n  ${r.problems.join('\n  ')}`);
      resources += r.checked;
    }
  }
  log(
    `Synthesized ${[...s.stages.values()].reduce((n, st) => n + 1 + st.pipelines.length, 0)} stacks; all ${resources} resources match the CloudFormation registry schemas (custom resources have none).`,
  );
  const account = s.account(stage);
  const played = stage.pipelines[pipelines.indexOf(p)]!.stackName;
  const cloud = new LocalCloud(account, played, pipelineSpec(p), log);
  const promoting = promotingStages(s, config, cloud, p.name, log);
  const clouds = [cloud, ...promoting.map((t) => t.cloud)];
  let deliveries = 0;
  for (const c of clouds) deliveries += await c.checkConfiguredDeliveries();
  log(
    `Authorized the ${deliveries} service deliveries the templates configure (rules, schedules, alarms, dead-letter queues): ${clouds.reduce((n, c) => n + c.failedDeliveries.length, 0)} denied.`,
  );
  if (promoting.length > 0)
    log(
      `Stage ${promoting.map((t) => `${t.stage} (account ${t.cloud.account.id})`).join(', ')} promotes from ${config.stages[0]!.name} (account ${account.id}): its own offline account, linked.`,
    );
  const landing = cloud.env['dataset-trigger']!.LANDING_BUCKET!;
  const capture = { bucket: cloud.env.deployment!.CAPTURE_BUCKET!, prefix: cloud.env.deployment!.CAPTURE_PREFIX! };
  const endpoint = cloud.env.deployment!.ENDPOINT_NAME!;
  const steps: StoryResult['steps'] = {};
  const pkgs = () => [...cloud.sageMaker.packages.values()];
  const step = (title: string) => log(`\n[${((Date.now() - started) / 1000).toFixed(1)} s] ${title}`);

  step(`A data scientist drops ${data.source} (${data.rows.length} rows) as 3 files under ${p.name}/2026-11-20/`);
  await cloud.dropFiles(landing, Object.fromEntries(data.parts(3).map((csv, i) => [`${p.name}/2026-11-20/part-${i + 1}.csv`, csv])));
  await cloud.drain({
    Preprocess: async () => {
      log('  (the run has listed the dataset and preprocesses it when a forgotten 4th file lands)');
      await cloud.dropFiles(landing, { [`${p.name}/2026-11-20/part-4.csv`]: data.parts(3)[2]! });
    },
  });
  steps.firstTraining = {
    runs: cloud.executions.length,
    status: cloud.executions[0]?.status,
    package: pkgs()[0]?.ModelPackageArn,
    approval: pkgs()[0]?.ModelApprovalStatus,
    lateEmail: cloud.notifications.find((n) => n.subject.includes('arrived late'))?.subject,
  };
  if (!pkgs()[0]) throw whyStopped(cloud, 'the first drop', 'training', 'no model package was registered');
  const { metric } = evaluationRule(p);
  log(
    `  model package v1: ${pkgs()[0]?.ModelApprovalStatus} (${metric.toUpperCase()} ${Number(pkgs()[0]?.CustomerMetadataProperties?.[`metric:${metric}`]).toFixed(3)})`,
  );

  step('The operator approves v1 in the model registry');
  await cloud.sageMaker.setApproval(pkgs()[0]!.ModelPackageArn, 'Approved', 'first model', 'alice');
  await cloud.drain();
  if (cloud.sageMaker.endpoints.get(endpoint)?.status !== 'InService')
    throw whyStopped(cloud, 'the first approval', 'deployment', `endpoint ${endpoint} is not InService`);
  steps.firstDeployment = {
    endpoint: cloud.sageMaker.endpoints.get(endpoint)?.status,
    variants: cloud.sageMaker.endpoints.has(endpoint) ? cloud.sageMaker.variants(endpoint) : undefined,
  };

  step('Clients call the endpoint with 60 rows');
  const traffic = await askEndpoint(cloud, data, 60);
  steps.traffic = { answered: traffic.answered, correct: traffic.correct };
  log(`  ${traffic.line}`);

  step(`A second dataset arrives as one file: ${p.name}/2026-11-21.csv (90 % of the rows)`);
  await cloud.dropFiles(landing, { [`${p.name}/2026-11-21.csv`]: data.file(data.rows.filter((_, i) => i % 10 !== 3)) });
  await cloud.drain();
  steps.secondTraining = { package: pkgs()[1]?.ModelPackageArn, approval: pkgs()[1]?.ModelApprovalStatus };
  if (!pkgs()[1]) throw whyStopped(cloud, 'the second drop', 'training', 'no second model package was registered');

  step('The operator approves v2: it goes live as a shadow, mirrored traffic is compared, and the evidence promotes it or rolls it back');
  await cloud.sageMaker.setApproval(pkgs()[1]!.ModelPackageArn, 'Approved', 'retrained on new data', 'alice');
  await cloud.drain({
    CompareShadow: async () => {
      log('  (the shadow window: 150 requests reach the endpoint; both variants answer, both are captured)');
      await cloud.sageMaker.invoke(
        endpoint,
        data.take(100, 150).map((r) => data.request(r)),
        capture,
      );
    },
  });
  const promoted = cloud.executions.filter((x) => x.machine.endsWith('-deployment')).pop();
  steps.promotion = { status: promoted?.status, comparison: promoted?.output?.comparison, live: cloud.sageMaker.variants(endpoint) };
  const c = promoted?.output?.comparison;
  log(
    `  shadow comparison: ${c?.decision}: ${c?.shadow.invocations} mirrored requests, errors ${c?.production.errorRate} vs ${c?.shadow.errorRate}, agreement ${(100 * (c?.agreementRate ?? 0)).toFixed(1)} %`,
  );

  step(`Two days later, traffic drifts: ${data.driftedFeatures().join(' and ')} arrive 3 standard deviations higher`);
  cloud.offsetMs += 2 * 24 * 3_600_000;
  await cloud.sageMaker.invoke(endpoint, data.drifted(data.take(250, 200)), capture);
  const before = cloud.executions.length;
  log('  the hourly drift check runs');
  await cloud.fireSchedule(`${cloud.env['drift-check']!.RESOURCE_PREFIX}-drift-check`);
  await cloud.drain();
  const retrain = cloud.executions.slice(before).find((x) => x.machine.endsWith('-training'));
  log('  an hour later the drift persists: the hourly recheck finds the alarm still in ALARM');
  cloud.offsetMs += 3_600_000;
  const recheck = (await cloud.fireSchedule(`${cloud.env['drift-check']!.RESOURCE_PREFIX}-drift-recheck`)) as { action: string; reason: string };
  log(`  retraining ${recheck.action}: ${recheck.reason}`);
  steps.drift = {
    recheck,
    metric: cloud.metrics.at(-1),
    retrainStarted: retrain?.name,
    retrainReason: retrain && JSON.parse(retrain.input).reason,
    retrainStatus: retrain?.status,
    packages: pkgs().length,
    /** What each package was trained on (its run's snapshot, or the snapshot a retraining reused). */
    snapshots: pkgs().map((x) => x.CustomerMetadataProperties?.['dataset-snapshot']),
  };

  step(`A bad drop: ${p.name}/bad-header/data.csv with a misspelled column`);
  await cloud.dropFiles(landing, { [`${p.name}/bad-header/data.csv`]: data.misspelledHeader() });
  await cloud.drain();
  steps.badDrop = { quarantine: cloud.store.keys(landing, 'quarantine/'), lastEmail: cloud.notifications.at(-1)?.subject };

  step(`A week later, a file is uploaded again to ${p.name}/2026-11-20/: that dataset was trained already`);
  cloud.offsetMs += 7 * 24 * 3_600_000;
  const runsBefore = cloud.executions.length;
  await cloud.dropFiles(landing, { [`${p.name}/2026-11-20/part-5.csv`]: data.parts(3)[0]! });
  await cloud.drain();
  steps.reupload = { started: cloud.executions.length - runsBefore, lastEmail: cloud.notifications.at(-1)?.subject };

  for (const t of promoting) steps[`promotion:${t.stage}`] = await playPromotion(t, data, step, log);

  const a = cloud.authorizer;
  const unused = unexercisedGrants(account, a.decisions, UNEXERCISED_REASONS, [stage.data.stackName, played]);
  const unexplained = unused.filter((g) => !g.reason);
  log(
    `\n${a.decisions.length} requests authorized against the synthesized policies, ${a.denied().length} denied; ${unused.length} grants never exercised (${unused.length - unexplained.length} with their reason, ${unexplained.length} unexplained)${unexplained.length > 0 ? ':' : '.'}`,
  );
  for (const g of unexplained) log(`  unexplained: ${g.role} ${g.action} on ${g.resources.join(', ')}`);
  for (const t of promoting) log(promotingSummary(t, cloud));
  const seconds = (Date.now() - started) / 1000;
  log(`\nDone in ${seconds.toFixed(1)} s: ${cloud.executions.length} executions, ${pkgs().length} model packages, ${cloud.notifications.length} e-mails.`);
  return { timeline, cloud, steps, seconds, unexercised: unused, promoting };
}
