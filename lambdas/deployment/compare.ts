/**
 * Shadow vs production: pure rules over the numbers CloudWatch and data capture give. Missing
 * numbers are a defined outcome ("insufficient"), never an exception.
 */

/** What CloudWatch reported for one variant over the shadow window; `undefined` = no datapoints. */
export interface VariantMetrics {
  readonly invocations?: number;
  /** Invocation5XXErrors + InvocationModelErrors. */
  readonly errors?: number;
  /** p99 of ModelLatency, in microseconds (SageMaker's unit). */
  readonly p99LatencyUs?: number;
}

/** Prediction agreement from data capture: requests seen by both variants, and how many agreed. */
export interface Agreement {
  readonly pairs: number;
  readonly agreed: number;
}

export interface PromotionRules {
  readonly minInvocations: number;
  readonly onInsufficientData: 'rollback' | 'promote';
  readonly maxErrorRateIncrease: number;
  readonly maxLatencyIncreasePercent: number;
  /** `undefined`: agreement is not checked. */
  readonly minAgreement?: number;
  /** Fewest matched pairs for the agreement rate to count. */
  readonly minAgreementPairs: number;
}

export interface VariantSummary {
  readonly invocations: number | null;
  readonly errorRate: number | null;
  readonly p99LatencyMs: number | null;
}

export interface Comparison {
  /** `promote`: the shadow is no worse on every rule; `rollback`: it is worse on one, or evidence is short and the rules say roll back. */
  readonly decision: 'promote' | 'rollback';
  /** `evidence`: every check had data; `insufficient`: a check lacked data and onInsufficientData decided. */
  readonly basis: 'evidence' | 'insufficient';
  /** One line per rule that failed or could not be checked, and the agreement note. */
  readonly reasons: string[];
  readonly production: VariantSummary;
  readonly shadow: VariantSummary;
  readonly agreementRate: number | null;
  readonly agreementPairs: number;
}

const rate = (m: VariantMetrics): number | null => (m.invocations !== undefined && m.invocations > 0 ? (m.errors ?? 0) / m.invocations : null);

function summary(m: VariantMetrics): VariantSummary {
  return {
    invocations: m.invocations ?? null,
    errorRate: rate(m),
    p99LatencyMs: m.p99LatencyUs === undefined ? null : m.p99LatencyUs / 1000,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Decides promotion from the shadow window's evidence. */
export function compareVariants(production: VariantMetrics, shadow: VariantMetrics, agreement: Agreement | undefined, rules: PromotionRules): Comparison {
  const worse: string[] = [];
  const missing: string[] = [];
  const notes: string[] = [];

  const shadowCalls = shadow.invocations ?? 0;
  if (shadowCalls < rules.minInvocations) {
    missing.push(`the shadow variant received ${shadowCalls} requests, fewer than the ${rules.minInvocations} required (promotion.minInvocations)`);
  } else {
    const pr = rate(production);
    const sr = rate(shadow)!;
    if (pr === null) missing.push('production reported no invocations, so error rates cannot be compared');
    else if (sr - pr > rules.maxErrorRateIncrease) {
      worse.push(
        `shadow error rate ${pct(sr)} exceeds production's ${pct(pr)} by more than ${pct(rules.maxErrorRateIncrease)} (promotion.maxErrorRateIncrease)`,
      );
    }
    if (production.p99LatencyUs === undefined || shadow.p99LatencyUs === undefined) {
      missing.push(`p99 model latency is missing for ${production.p99LatencyUs === undefined ? 'production' : 'the shadow'}`);
    } else {
      const limit = production.p99LatencyUs * (1 + rules.maxLatencyIncreasePercent / 100);
      if (shadow.p99LatencyUs > limit) {
        worse.push(
          `shadow p99 latency ${ms(shadow.p99LatencyUs / 1000)} exceeds production's ${ms(production.p99LatencyUs / 1000)} by more than ${rules.maxLatencyIncreasePercent}% (promotion.maxLatencyIncreasePercent)`,
        );
      }
    }
  }

  const pairs = agreement?.pairs ?? 0;
  const agreementRate = agreement && agreement.pairs > 0 ? agreement.agreed / agreement.pairs : null;
  if (rules.minAgreement !== undefined) {
    if (agreementRate === null || pairs < rules.minAgreementPairs) {
      notes.push(`prediction agreement not checked: ${pairs} captured request(s) matched across both variants, fewer than ${rules.minAgreementPairs}`);
    } else if (agreementRate < rules.minAgreement) {
      worse.push(`the models agree on ${pct(agreementRate)} of ${pairs} mirrored requests, below ${pct(rules.minAgreement)} (promotion.minAgreement)`);
    }
  }

  const base = { production: summary(production), shadow: summary(shadow), agreementRate, agreementPairs: pairs };
  if (worse.length > 0) return { decision: 'rollback', basis: 'evidence', reasons: [...worse, ...missing, ...notes], ...base };
  if (missing.length > 0) {
    const outcome = rules.onInsufficientData;
    return {
      decision: outcome,
      basis: 'insufficient',
      reasons: [...missing, `not enough evidence: promotion.onInsufficientData is "${outcome}"`, ...notes],
      ...base,
    };
  }
  return { decision: 'promote', basis: 'evidence', reasons: notes, ...base };
}
