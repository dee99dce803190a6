/**
 * The `--prices <file.json>` of `npm run cost`: prices a team supplies (read from AWS's pricing
 * pages for its regions, or its negotiated rates), each winning over the pinned price of its
 * region and item (./prices). The pinned table has no SageMaker instance prices, so this is how
 * the endpoint, the jobs and the drift check get one. README "Cost" documents the format.
 */
import { readFileSync } from 'node:fs';
import { closest, distance } from 'fastest-levenshtein';
import * as z from 'zod';
import { type InstanceUse, instanceTypeProblem } from '../../lib/config/instance-types';
import { type Allowance, GB_SECOND, INSTANCE_HOUR, type Rate, type RegionPrices, type Source, type SuppliedPrices, UNITS } from './prices';

/** A prices file that cannot be used; the message names the file and every bad field. */
export class PriceFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid prices file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PriceFileError';
  }
}

const usdPer = (unit: string) =>
  z
    .number({ error: `expected a number of USD per ${unit}` })
    .positive({ error: `expected USD per ${unit}, above 0` })
    .describe(`USD per ${unit}`);

/** Instance type → USD per instance-hour, each type checked against the SageMaker API's list for `use`. */
const instancePrices = (use: InstanceUse) =>
  z
    .record(
      z.string().superRefine((type, ctx) => {
        const problem = instanceTypeProblem(type, use);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      usdPer(`instance-hour (${use})`),
    )
    .optional()
    .describe(`SageMaker ${use} instances: instance type (e.g. "ml.m5.large") → USD per instance-hour, on one instance`);

const sagemakerSchema = z
  .strictObject({
    training: instancePrices('training'),
    processing: instancePrices('processing'),
    hosting: instancePrices('hosting'),
    serverlessGbSecond: usdPer(`${GB_SECOND} of serverless inference (configured memory × billed duration)`).optional(),
  })
  .describe('SageMaker prices, by use: AWS prices training, processing and real-time hosting apart');

type OtherField = keyof typeof UNITS;
const ALLOWANCES: readonly OtherField[] = ['freeAlarmMetrics', 'freeDashboards', 'freeSchedulerInvocations'];

/** The other services' prices and free allowances, each optional, in the units of the pinned table. */
const otherFields = Object.fromEntries(
  (Object.keys(UNITS) as OtherField[]).map((field) => [
    field,
    (ALLOWANCES.includes(field)
      ? z
          .number({ error: `expected a number of ${UNITS[field]} a month` })
          .nonnegative({ error: 'expected 0 or more' })
          .describe(`free ${UNITS[field]} a month`)
      : usdPer(UNITS[field])
    ).optional(),
  ]),
) as Record<OtherField, z.ZodOptional<z.ZodNumber>>;

const regionSchema = z
  .strictObject({ sagemaker: sagemakerSchema.optional(), ...otherFields })
  .describe("One region's prices; each wins over the pinned one of the same item");

/** The format of a prices file (README "Cost"). */
const priceFileSchema = z.strictObject({
  date: z.iso.date({ error: 'expected the day the prices were read or agreed, as YYYY-MM-DD' }).describe('The day the prices were read or agreed (YYYY-MM-DD)'),
  source: z
    .string({ error: 'expected where the prices come from' })
    .trim()
    .min(1, { error: 'expected where the prices come from' })
    .describe('Where the prices come from: the page (https://aws.amazon.com/sagemaker/pricing/) or the agreement'),
  regions: z
    .record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'expected an AWS region code, such as "us-east-1"' }), regionSchema)
    .refine((regions) => Object.keys(regions).length > 0, { error: 'expected at least one region' })
    .describe('Region code (e.g. "us-east-1") → its prices'),
});

type PriceFile = z.output<typeof priceFileSchema>;

/** Every field of the format and where it goes, to suggest the nearest for a misspelt or misplaced one. */
const FIELDS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['date', 'source', 'regions'].map((f) => [f, 'at the top level'])),
  ...Object.fromEntries(['sagemaker', ...Object.keys(UNITS)].map((f) => [f, 'under regions["<region>"]'])),
  ...Object.fromEntries(['training', 'processing', 'hosting', 'serverlessGbSecond'].map((f) => [f, 'under regions["<region>"].sagemaker'])),
};
/** How deep each place is: the length of a path to a field there. */
const DEPTH: Readonly<Record<string, number>> = { 'at the top level': 0, 'under regions["<region>"]': 2, 'under regions["<region>"].sagemaker': 3 };

/** `regions["us-east-1"].sagemaker.hosting["ml.m5.large"]` */
function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>((acc, k) => {
      if (typeof k === 'number') return `${acc}[${k}]`;
      const key = String(k);
      return /^[A-Za-z_$][\w$]*$/.test(key) ? (acc ? `${acc}.${key}` : key) : `${acc}[${JSON.stringify(key)}]`;
    }, '') || '(root)'
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let cur: unknown = input;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !(k in cur)) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return { found: true, value: cur };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const near = closest(k, Object.keys(FIELDS));
      const place = FIELDS[near]!;
      const elsewhere = DEPTH[place] === issue.path.length ? '' : ` (it goes ${place})`;
      const hint = distance(k, near) <= 3 ? `; did you mean "${near}"${elsewhere}?` : ' (README "Cost" lists the fields)';
      return `${formatPath([...issue.path, k])}: unknown field${hint}`;
    });
  }
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  if (issue.code === 'invalid_key' || issue.code === 'custom') return [`${formatPath(issue.path)}: ${message}`];
  const at = valueAt(input, issue.path);
  return [`${formatPath(issue.path)}: ${message}${at.found ? `, got ${JSON.stringify(at.value)}` : ', but it is missing'}`];
}

/** The prices of a parsed file as the table holds them, each naming `file` as its source. */
function toRegionPrices(region: PriceFile['regions'][string], source: Source): RegionPrices {
  const rate = (usd: number, unit: string): Rate => ({ usd, unit, source });
  const byType = (prices: Record<string, number> = {}) => Object.fromEntries(Object.entries(prices).map(([type, usd]) => [type, rate(usd, INSTANCE_HOUR)]));
  const { sagemaker, ...others } = region;
  const other = Object.fromEntries(
    (Object.entries(others) as [OtherField, number | undefined][])
      .filter((e): e is [OtherField, number] => e[1] !== undefined)
      .map(([field, n]): [OtherField, Rate | Allowance] => [
        field,
        ALLOWANCES.includes(field) ? { amount: n, unit: UNITS[field], source } : rate(n, UNITS[field]),
      ]),
  );
  return {
    ...other,
    sagemaker: {
      training: byType(sagemaker?.training),
      processing: byType(sagemaker?.processing),
      hosting: byType(sagemaker?.hosting),
      ...(sagemaker?.serverlessGbSecond !== undefined ? { serverlessGbSecond: rate(sagemaker.serverlessGbSecond, GB_SECOND) } : {}),
    },
  };
}

/** Validates the contents of a prices file; throws {@link PriceFileError} naming every bad field. */
export function parsePriceFile(input: unknown, file: string): SuppliedPrices {
  const result = priceFileSchema.safeParse(input);
  if (!result.success)
    throw new PriceFileError(
      file,
      result.error.issues.flatMap((issue) => describeIssue(issue, input)),
    );
  const { date, source, regions } = result.data;
  const from: Source = { url: source, date, file };
  return { file, date, source, regions: Object.fromEntries(Object.entries(regions).map(([code, r]) => [code, toRegionPrices(r, from)])) };
}

/** A JSON.parse message with the line and column of its character position, the same on every Node version (22 adds its own, 20 none). */
function whereInJson(message: string, text: string): string {
  const at = /at position (\d+)/.exec(message);
  if (!at) return message;
  const before = text.slice(0, Number(at[1])).split('\n');
  return message.replace(/ \(line \d+ column \d+\)/, '').replace(/at position \d+/, `at line ${before.length}, column ${before.at(-1)!.length + 1}`);
}

/** Reads and validates a prices file. */
export function readPriceFile(file: string): SuppliedPrices {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PriceFileError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new PriceFileError(file, [`not valid JSON: ${whereInJson((e as Error).message, text)}`]);
  }
  return parsePriceFile(input, file);
}
