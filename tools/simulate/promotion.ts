import { pipelinesOf } from '../../lib/config/stages';
import type { PlatformConfig } from '../../lib/config/schema';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { accountOfArn, type SynthesizedAccount } from '../../offline/account';
import type { Decision } from '../../offline/iam/authorizer';
import { UNEXERCISED_REASONS } from '../../offline/iam/unexercised-reasons';
import { unexercisedGrants } from '../../offline/iam/usage';
import { LocalCloud } from '../../offline/local-cloud';
import type { Synthesized } from '../../offline/synth';
import { askEndpoint, type StoryData } from './dataset';

type Json = Record<string, any>;

/** A stage that promotes from the played one, as its own offline account linked to the played one's. */
export interface PromotingStage {
  readonly stage: string;
  readonly source: string;
  readonly cloud: LocalCloud;
}

/**
 * The offline clouds of the stages that promote from `source` (`promoteFrom`) in another account,
 * one account each, connected to the source's cloud before the story starts: models that go live
 * there are forwarded, copied and registered in each promoting stage as the story plays. A stage
 * that promotes from the source within its account is not played (said in the timeline): the
 * offline clouds are linked by account.
 */
export function promotingStages(s: Synthesized, config: PlatformConfig, source: LocalCloud, pipeline: string, log: (line: string) => void): PromotingStage[] {
  const sourceStage = config.stages[0]!.name;
  return config.stages
    .filter((t) => t.promoteFrom === sourceStage)
    .filter((t) => {
      const same = s.account(s.stages.get(t.name)!).id === source.account.id;
      if (same)
        log(`Stage ${t.name} promotes from ${sourceStage} in the same account (${source.account.id}): not played offline, which links stages by account.`);
      return !same;
    })
    .map((t) => {
      const stacks = s.stages.get(t.name)!;
      const p = pipelinesOf(config, t).find((x) => x.name === pipeline)!;
      const stack = stacks.pipelines[config.pipelines.findIndex((x) => x.name === pipeline)]!.stackName;
      const cloud = new LocalCloud(s.account(stacks), stack, pipelineSpec(p), (line) => log(line.replace(/^ {2}/, `  [${t.name}] `)), { store: source.store });
      source.connect(cloud);
      return { stage: t.name, source: sourceStage, cloud };
    });
}

/**
 * Whether a role's request was on a resource of another of the stages' accounts (then that
 * account's resource policy had to allow it too). `account` is any of the linked accounts; pulls
 * of AWS's own images, in AWS's accounts, do not count.
 */
export function crossAccount(account: SynthesizedAccount, d: Decision): boolean {
  const { principal, resource } = d.request;
  if (!principal.startsWith('arn:')) return false;
  const owner = account.ownerIdOf(resource);
  return owner !== undefined && owner !== accountOfArn(principal) && account.linkedIds().includes(owner);
}

/**
 * The promoting stage's chapter, after the source's story: the models that went live in the
 * source wait in this stage's registry; its operator approves the latest; this stage's own
 * deployment workflow deploys it, and clients call its endpoint.
 */
export async function playPromotion(
  target: PromotingStage,
  data: StoryData,
  step: (title: string) => void,
  log: (line: string) => void,
): Promise<Record<string, unknown>> {
  const { cloud } = target;
  const pkgs = () => [...cloud.sageMaker.packages.values()] as Json[];
  const endpoint = cloud.env.deployment!.ENDPOINT_NAME!;
  step(
    `Stage ${target.stage} (account ${cloud.account.id}) promotes from this one: each model that went live here was copied there, checked by hash, and waits for approval`,
  );
  for (const p of pkgs()) {
    const m = p.CustomerMetadataProperties ?? {};
    log(`  ${target.stage} v${p.ModelPackageVersion}: ${p.ModelApprovalStatus}, from ${m['promoted-from']}, sha256 ${String(m['model-sha256']).slice(0, 12)}…`);
  }
  const latest = pkgs().at(-1);
  if (!latest) return { packages: 0 };
  step(`The ${target.stage} operator approves v${latest.ModelPackageVersion} in ${target.stage}'s model registry`);
  await cloud.sageMaker.setApproval(latest.ModelPackageArn, 'Approved', `live in ${target.source} since its shadow verdict`, 'bob');
  await cloud.drain();
  const state = cloud.sageMaker.endpoints.get(endpoint)?.status;
  log(`  ${target.stage} endpoint ${endpoint}: ${state ?? 'none'}`);
  const traffic = state === 'InService' ? await askEndpoint(cloud, data, 60) : { answered: 0, correct: 0, line: '' };
  if (traffic.answered > 0) log(`  clients call the ${target.stage} endpoint with 60 rows: ${traffic.line}`);
  return {
    packages: pkgs().map((p) => ({
      arn: p.ModelPackageArn,
      status: p.ModelApprovalStatus,
      metadata: p.CustomerMetadataProperties,
      modelDataUrl: p.InferenceSpecification?.Containers?.[0]?.ModelDataUrl,
    })),
    endpoint: state,
    live: state ? cloud.sageMaker.variants(endpoint) : undefined,
    answered: traffic.answered,
    correct: traffic.correct,
  };
}

/** The promoting stage's line of the story's summary: its requests, and whether its promotion role's grants were all used or explained. */
export function promotingSummary(t: PromotingStage, source: LocalCloud): string {
  const a = t.cloud.authorizer;
  const here = t.cloud.account.id;
  const across = [...source.authorizer.decisions, ...a.decisions].filter(
    (d) => crossAccount(t.cloud.account, d) && [accountOfArn(d.request.principal), t.cloud.account.ownerIdOf(d.request.resource)].includes(here),
  ).length;
  const unexplained = unexercisedGrants(t.cloud.account, a.decisions, UNEXERCISED_REASONS).filter((g) => /^PromotionFunctionRole/.test(g.role) && !g.reason);
  return (
    `${t.stage}: ${a.decisions.length} requests authorized, ${a.denied().length} denied (${across} requests of the two stages crossed accounts); ` +
    `${t.cloud.sageMaker.packages.size} model packages, ${t.cloud.executions.length} execution${t.cloud.executions.length === 1 ? '' : 's'}, ${t.cloud.notifications.length} e-mails; ` +
    `promotion role: ${unexplained.length} grants unexercised without a reason${unexplained.map((g) => ` (${g.action})`).join('')}.`
  );
}
