/** The command line of `npm run cost`, parsed without side effects. */
import { DEFAULT_REGION } from './estimate';
import { type Assumptions, DEFAULT_ASSUMPTIONS } from './pipeline';

/** The numeric flags: the assumption each sets, and what it is. */
const NUMBERS: Readonly<Record<string, readonly [keyof Assumptions, string]>> = {
  '--preprocess-minutes': ['preprocessMinutes', 'minutes of one preprocessing job'],
  '--train-minutes': ['trainMinutes', 'minutes of one training job'],
  '--evaluate-minutes': ['evaluateMinutes', 'minutes of one evaluation job'],
  '--drift-minutes': ['driftMinutes', 'minutes of one drift-check job'],
  '--request-bytes': ['requestBytes', 'bytes captured per request and response'],
  '--serverless-ms': ['serverlessMs', 'billed compute per serverless request'],
};

/** `--help`: every flag the parser takes. */
export const USAGE = [
  'usage: npm run cost -- [-c config=<file> | --config <file>] [--prices <file.json>] [options]',
  '',
  '  -c, --context config=<file>         the config file (as for cdk synth); none: the defaults',
  '  --config <file>                     the same',
  '  -c, --context mlops=<json>          inline config over the file (as cdk.json\'s "mlops" context)',
  `  --region <region>                   region of stages that name none (default ${DEFAULT_REGION})`,
  "  --prices <file.json>                prices over the pinned ones, e.g. SageMaker's (not pinned): USD per instance-hour",
  '                                      by region, use and instance type; the format is in README "Cost"',
  ...Object.entries(NUMBERS).map(([flag, [key, what]]) => `  ${`${flag} <n>`.padEnd(36)}${what} (default ${DEFAULT_ASSUMPTIONS[key]})`),
  '  --json                              machine-readable output, with the prices and their sources',
  '  -h, --help                          this text',
].join('\n');

/** A command line that cannot be used; the message names the argument. */
export class UsageError extends Error {}

export interface CostArgs {
  readonly configFile?: string;
  /** The `-c mlops=<json>` context, parsed. */
  readonly inline?: unknown;
  readonly region?: string;
  /** `--prices <file>`: a prices file (./price-file) over the pinned table. */
  readonly pricesFile?: string;
  readonly json: boolean;
  readonly help: boolean;
  readonly assumptions: Assumptions;
}

export function parseArgs(argv: readonly string[]): CostArgs {
  const assumptions: Record<keyof Assumptions, number> = { ...DEFAULT_ASSUMPTIONS };
  const context: Record<string, string> = {};
  let region: string | undefined;
  let pricesFile: string | undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--config') context.config = value();
    else if (arg === '--region') region = value();
    else if (arg === '--prices') pricesFile = value();
    else if (arg === '-c' || arg === '--context') {
      const [key, ...rest] = value().split('=');
      if ((key !== 'config' && key !== 'mlops') || rest.length === 0) throw new UsageError(`${arg} takes config=<file> or mlops=<json>, got "${argv[i]}"`);
      context[key] = rest.join('=');
    } else if (arg in NUMBERS) {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${arg} expects a positive number, got "${v}"`);
      assumptions[NUMBERS[arg]![0]] = n;
    } else throw new UsageError(`unknown argument "${arg}"`);
  }
  return {
    ...(context.config !== undefined ? { configFile: context.config } : {}),
    ...(context.mlops !== undefined ? { inline: parseInline(context.mlops) } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(pricesFile !== undefined ? { pricesFile } : {}),
    json,
    help,
    assumptions,
  };
}

function parseInline(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`-c mlops=<json>: not valid JSON (${(e as Error).message})`);
  }
}
