import { EvaluationReportError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { parseS3Uri, type ObjectStore } from '../shared/object-store';
import { evaluationReportSchema, type GateRule } from './schema';

/** Key under which a registered package records its metric in CustomerMetadataProperties. */
export const metricMetadataKey = (metric: string): string => `metric:${metric}`;

export interface Champion {
  readonly modelPackageArn: string;
  /** The champion's value of the gate metric, when it recorded one. */
  readonly value?: number;
}

/** The model registry as the gate sees it. */
export interface ChampionSource {
  latestApproved(modelPackageGroup: string, metric: string): Promise<Champion | undefined>;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly metric: string;
  readonly value: number;
  /** The value as a string, for CustomerMetadataProperties. */
  readonly valueText: string;
  readonly threshold: number;
  readonly direction: 'maximize' | 'minimize';
  readonly champion?: Champion;
  readonly reasons: readonly string[];
  readonly metrics: Readonly<Record<string, number>>;
  /** The evaluated model.tar.gz's SHA-256 (the report's `model.sha256`). */
  readonly modelSha256?: string;
}

const better = (a: number, b: number, direction: 'maximize' | 'minimize') => (direction === 'maximize' ? a > b : a < b);
const atLeast = (a: number, b: number, direction: 'maximize' | 'minimize') => (direction === 'maximize' ? a >= b : a <= b);

/** Pure rule: the metric must meet the threshold and, when configured, beat the champion. */
export function decide(metrics: Readonly<Record<string, number>>, rule: GateRule, champion: Champion | undefined): GateDecision {
  const value = metrics[rule.metric];
  if (value === undefined || !Number.isFinite(value)) {
    throw new EvaluationReportError(`the evaluation report has no finite "${rule.metric}" (it has: ${Object.keys(metrics).join(', ') || 'nothing'})`);
  }
  const reasons: string[] = [];
  const word = rule.direction === 'maximize' ? 'at least' : 'at most';
  if (!atLeast(value, rule.threshold, rule.direction)) reasons.push(`${rule.metric} ${fmt(value)} is not ${word} the threshold ${fmt(rule.threshold)}`);
  if (rule.mustBeatChampion && champion?.value !== undefined && !better(value, champion.value, rule.direction)) {
    reasons.push(`${rule.metric} ${fmt(value)} does not beat the approved model's ${fmt(champion.value)} (${champion.modelPackageArn})`);
  }
  const notes =
    rule.mustBeatChampion && champion !== undefined && champion.value === undefined
      ? [`the approved model ${champion.modelPackageArn} recorded no ${rule.metric}; compared with the threshold only`]
      : [];
  return {
    passed: reasons.length === 0,
    metric: rule.metric,
    value,
    valueText: String(value),
    threshold: rule.threshold,
    direction: rule.direction,
    ...(champion ? { champion } : {}),
    reasons: [...reasons, ...notes],
    metrics,
  };
}

const fmt = (n: number) => (Math.abs(n) >= 1000 || n === 0 ? String(n) : n.toPrecision(4));

export interface GateDeps {
  readonly store: ObjectStore;
  readonly champions: ChampionSource;
  readonly rule: GateRule;
  readonly log: Logger;
}

/** Reads the report, looks up the champion only when the rule needs it, and decides. */
export async function runGate(evaluationReport: string, deps: GateDeps): Promise<GateDecision> {
  let text: string;
  try {
    text = await deps.store.readText(parseS3Uri(evaluationReport));
  } catch (e) {
    throw new EvaluationReportError(`cannot read the evaluation report ${evaluationReport}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EvaluationReportError(`the evaluation report ${evaluationReport} is not JSON`);
  }
  const report = evaluationReportSchema.safeParse(json);
  if (!report.success)
    throw new EvaluationReportError(
      `the evaluation report ${evaluationReport} is not what ml/evaluate.py writes: ${report.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  const champion = deps.rule.mustBeatChampion ? await deps.champions.latestApproved(deps.rule.modelPackageGroup, deps.rule.metric) : undefined;
  const decision = { ...decide(report.data.metrics, deps.rule, champion), modelSha256: report.data.model.sha256 };
  deps.log.info(decision.passed ? 'quality gate passed' : 'quality gate failed', { metric: decision.metric, value: decision.value, reasons: decision.reasons });
  return decision;
}
