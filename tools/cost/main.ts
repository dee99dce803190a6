/**
 * `npm run cost [-- -c config=path.json] [--prices prices.json] [--json] [--train-minutes 30 …]`:
 * what a config costs, per stage and pipeline, at the pinned prices of tools/cost/prices.ts and
 * those a `--prices` file supplies over them. See README "Cost".
 */
import '../simulate/quiet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config/load';
import { pipelinesOf } from '../../lib/config/stages';
import { PROJECT_ROOT } from '../../lib/paths';
import { parseArgs, USAGE, UsageError } from './args';
import { estimateStage } from './estimate';
import { formatReport } from './format';
import { inventory } from './inventory';
import { PriceFileError, readPriceFile } from './price-file';
import { PRICE_TABLE } from './prices';

/** Context from cdk.json, under the command line's, as the CDK CLI merges them for bin/app.ts. */
function cdkJsonContext(): { config?: string; mlops?: unknown } {
  const context = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context ?? {};
  return { config: context.config, mlops: typeof context.mlops === 'string' ? JSON.parse(context.mlops) : context.mlops };
}

function run(argv: readonly string[]): void {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  // Read before the synth, so a bad file fails at once.
  const table = args.pricesFile ? { ...PRICE_TABLE, supplied: readPriceFile(args.pricesFile) } : PRICE_TABLE;
  const fromCdkJson = cdkJsonContext();
  const file = args.configFile ?? fromCdkJson.config;
  const config = loadConfig({ file, inline: args.inline ?? fromCdkJson.mlops });
  const counted = inventory(config);
  const stages = config.stages.map((stage) =>
    estimateStage({ stage, pipelines: pipelinesOf(config, stage), inventory: counted.get(stage.name)! }, table, args.assumptions, args.region),
  );
  const header = { config: file ?? 'defaults (no -c config=…)', table, assumptions: args.assumptions };
  process.stdout.write(args.json ? `${JSON.stringify({ ...header, stages }, null, 2)}\n` : formatReport(header, stages));
  for (const s of stages) if (s.problem) console.error(`cost: error: ${s.problem}`);
}

try {
  run(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) console.error(`cost: ${e.message}\n\n${USAGE}`);
  else if (e instanceof ConfigError) console.error(e.message);
  else if (e instanceof PriceFileError) console.error(`cost: ${e.message}`);
  else console.error(process.env.DEBUG ? e : `cost: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
