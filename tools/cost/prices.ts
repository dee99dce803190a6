/**
 * The pinned price table of `npm run cost`: on-demand USD prices, each with the page it was read
 * from and when, and the prices a team supplies over it with `--prices` (./price-file). A price
 * that is in neither is printed as "no price for <item> in <region>", never guessed. README "Cost"
 * says how to update the table and how to write a prices file.
 */

/** Where a number comes from. */
export interface Source {
  /** The page; for a supplied price, the `source` its file states (a page, or an agreement). */
  readonly url: string;
  /** The date the page states, else the day it was read (`read on …`). */
  readonly date: string;
  /** Set when the page is not AWS's own: what it is and why it was used. */
  readonly secondary?: string;
  /** Set for a price supplied with `--prices`: that file. */
  readonly file?: string;
}

/** A price (or a free allowance) per unit. */
export interface Rate {
  readonly usd: number;
  readonly unit: string;
  readonly source: Source;
}

/** A free-tier allowance: so many units a month. */
export interface Allowance {
  readonly amount: number;
  readonly unit: string;
  readonly source: Source;
}

/** SageMaker on-demand instance-hours by instance type, one table per use (AWS prices training, processing and hosting apart). */
export interface SageMakerPrices {
  readonly training: Readonly<Record<string, Rate>>;
  readonly processing: Readonly<Record<string, Rate>>;
  readonly hosting: Readonly<Record<string, Rate>>;
  /** Serverless inference compute, per GB-second of configured memory. */
  readonly serverlessGbSecond?: Rate;
}

/** The unit of each price and allowance besides SageMaker's (a supplied price is in the same unit). */
export const UNITS = {
  kmsKeyMonth: 'key-month',
  alarmMetricMonth: 'alarm metric-month (standard resolution)',
  freeAlarmMetrics: 'alarm metrics (standard resolution alarms that list metrics directly)',
  dashboardMonth: 'dashboard-month',
  freeDashboards: 'custom dashboards (up to 50 metrics each)',
  schedulerMillionInvocations: 'million scheduled invocations',
  freeSchedulerInvocations: 'scheduled invocations',
  s3StandardGbMonth: 'GB-month (S3 Standard, first 50 TB)',
  vpcEndpointAzHour: 'VPC interface endpoint-hour in one availability zone',
} as const;

/** The unit of SageMaker's instance prices (training, processing, hosting). */
export const INSTANCE_HOUR = 'instance-hour';
/** The unit of serverless inference's price: a GB of configured memory for a second. */
export const GB_SECOND = 'GB-second';

/**
 * One region's prices. The pinned regions have every field but SageMaker's instance prices; a
 * region or a field that only a prices file supplies may lack the others (their lines say "no price").
 */
export interface RegionPrices {
  readonly kmsKeyMonth?: Rate;
  readonly alarmMetricMonth?: Rate;
  readonly freeAlarmMetrics?: Allowance;
  readonly dashboardMonth?: Rate;
  readonly freeDashboards?: Allowance;
  readonly schedulerMillionInvocations?: Rate;
  readonly freeSchedulerInvocations?: Allowance;
  readonly s3StandardGbMonth?: Rate;
  readonly vpcEndpointAzHour?: Rate;
  readonly sagemaker: SageMakerPrices;
}

/** Prices read from a `--prices` file: each wins over the pinned price of its region and item. */
export interface SuppliedPrices {
  readonly file: string;
  /** The day the file says its prices were read or agreed. */
  readonly date: string;
  /** Where the file says they come from. */
  readonly source: string;
  readonly regions: Readonly<Record<string, RegionPrices>>;
}

export interface PriceTable {
  /** The day the table was last checked against its sources. */
  readonly pinned: string;
  readonly regions: Readonly<Record<string, RegionPrices>>;
  /** Set by `--prices`. */
  readonly supplied?: SuppliedPrices;
}

/** Every price and allowance of a region, SageMaker's included. */
export function ratesOf(r: RegionPrices): (Rate | Allowance)[] {
  const { sagemaker, ...others } = r;
  const { serverlessGbSecond, ...byUse } = sagemaker;
  return [...Object.values(others), ...Object.values(byUse).flatMap((byType) => Object.values(byType)), ...(serverlessGbSecond ? [serverlessGbSecond] : [])];
}

const READ = 'read on 2026-12-02';

const KMS: Source = { url: 'https://aws.amazon.com/kms/pricing/', date: READ };
const CLOUDWATCH: Source = { url: 'https://aws.amazon.com/cloudwatch/pricing/', date: READ };

/**
 * us-east-1. AWS's SageMaker page (https://aws.amazon.com/sagemaker/pricing/) renders its
 * instance tables with script: no stored copy of it shows an instance price, so the SageMaker
 * tables are empty and every instance line says "no price" unless `--prices` supplies one. Add a
 * type under its use once read from that page (README "Cost"). The same holds for the hourly price
 * of a VPC interface endpoint (https://aws.amazon.com/privatelink/pricing/ states the billing per
 * endpoint, per availability zone, per hour, and renders the rate with script): `--prices` supplies it.
 */
const US_EAST_1: Required<Omit<RegionPrices, 'vpcEndpointAzHour'>> = {
  // "Each AWS KMS key that you create in KMS costs $1/month"; each rotation's new backing key adds $1/month.
  kmsKeyMonth: { usd: 1, unit: UNITS.kmsKeyMonth, source: KMS },
  alarmMetricMonth: {
    usd: 0.1,
    unit: UNITS.alarmMetricMonth,
    source: {
      url: 'https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm',
      date: READ,
      secondary: "a cost estimator's page; AWS's page shows its paid tier with script (the stored copy has the free tier only); region not stated",
    },
  },
  freeAlarmMetrics: { amount: 10, unit: UNITS.freeAlarmMetrics, source: CLOUDWATCH },
  dashboardMonth: {
    usd: 3,
    unit: UNITS.dashboardMonth,
    source: {
      url: 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/',
      date: '2026-06-13',
      secondary: 'a blog transcribing AWS\'s page ("dashboards at $3 each"), whose stored copy has the free tier only; region not stated',
    },
  },
  freeDashboards: { amount: 3, unit: UNITS.freeDashboards, source: CLOUDWATCH },
  schedulerMillionInvocations: {
    usd: 1,
    unit: UNITS.schedulerMillionInvocations,
    source: {
      url: 'https://cloudburn.io/blog/amazon-eventbridge-pricing',
      date: '2026-03-13',
      secondary: 'a blog transcribing AWS\'s page, "all prices are for US East (N. Virginia) as of March 2026"; no stored copy of AWS\'s page shows it',
    },
  },
  freeSchedulerInvocations: {
    amount: 14_000_000,
    unit: UNITS.freeSchedulerInvocations,
    source: {
      url: 'https://cloudburn.io/blog/amazon-eventbridge-pricing',
      date: '2026-03-13',
      secondary: 'the same page ("14M invocations/month")',
    },
  },
  s3StandardGbMonth: {
    usd: 0.023,
    unit: UNITS.s3StandardGbMonth,
    source: {
      url: 'https://cloudburn.io/blog/amazon-s3-pricing',
      date: '2026-03-13',
      secondary: 'a blog transcribing AWS\'s page, "all prices are for US East (N. Virginia) as of March 2026"; no stored copy of AWS\'s page shows it',
    },
  },
  sagemaker: { training: {}, processing: {}, hosting: {} },
};

/** The table `npm run cost` uses. */
export const PRICE_TABLE: PriceTable = {
  pinned: '2026-12-02',
  regions: { 'us-east-1': US_EAST_1 },
};

/** AWS bills storage in GB of 2^30 bytes (the S3 FAQ's examples divide KB by 1,048,576: https://aws.amazon.com/s3/faqs/). */
export const BYTES_PER_GB = 1024 ** 3;

/** Hours in the month every monthly figure uses: 365 × 24 / 12. */
export const HOURS_PER_MONTH = 730;
