/**
 * `npm run bench`: synth time against an empty-app floor, scale to many pipelines, Lambda bundle
 * size and cold init, test-suite time. Prints a table and writes bench/results.json.
 *
 *   npm run bench                 # everything (≈ 4 min on 2 cores)
 *   npm run bench -- --no-tests   # without the npm test run
 *   npm run bench -- --no-data-scale, --data-sizes=64,256,1024   # without, or at other sizes (MiB), the data-scale section
 * Also times `npm run simulate` (goal: the story in ≤ 30 s on 2 cores).
 */
import { CONTROL_TOWER_CONTEXT } from '../lib/control-tower';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../lib/config/defaults';
import { bundleLambdas, FUNCTION_NAMES } from '../lib/constructs/lambda-bundles';
import { dataScale } from './data-scale';

const ROOT = resolve(__dirname, '..');
const RUNS = 5;
const args = new Set(process.argv.slice(2));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Runs a command in a fresh process; returns its wall time in seconds (throws on failure). */
function timed(command: string, argv: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; stdout: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

/** cdk.json's app command (`node bin/synth.js`), as the CDK CLI runs it. */
const APP_COMMAND = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).app as string).split(' ');

/** Runs an app command in a fresh process, as the CLI does (outdir and context from the environment). */
function synthApp(command: string[], context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const { seconds } = timed(command[0]!, command.slice(1), { CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) });
  return { seconds, outdir };
}
const EMPTY_APP = ['node', 'bench/empty-app.js'];
const cli = (app: string[]) => timed('npx', ['cdk', 'synth', '-q', '--app', app.join(' '), '-o', mkdtempSync(join(tmpdir(), 'bench-cli-'))]).seconds;

function templates(outdir: string) {
  return readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => {
      const text = readFileSync(join(outdir, f), 'utf8');
      return { stack: f.replace('.template.json', ''), resources: Object.keys(JSON.parse(text).Resources ?? {}).length, kb: Buffer.byteLength(text) / 1024 };
    });
}

function synthFloor() {
  const floor: number[] = [];
  const app: number[] = [];
  const guarded: number[] = [];
  synthApp(APP_COMMAND); // warm the Lambda bundle cache, as every synth after the first finds it
  for (let i = 0; i < RUNS; i++) {
    floor.push(synthApp(EMPTY_APP).seconds);
    app.push(synthApp(APP_COMMAND).seconds);
    guarded.push(synthApp(APP_COMMAND, { [CONTROL_TOWER_CONTEXT]: 'true' }).seconds);
  }
  const cliFloor = median([0, 1, 2].map(() => cli(EMPTY_APP)));
  const cliApp = median([0, 1, 2].map(() => cli(APP_COMMAND)));
  return {
    floorSeconds: round(median(floor)),
    defaultAppSeconds: round(median(app)),
    ratio: round(median(app) / median(floor)),
    controlTowerSeconds: round(median(guarded)),
    cli: { floorSeconds: round(cliFloor), defaultAppSeconds: round(cliApp), ratio: round(cliApp / cliFloor) },
    runs: RUNS,
  };
}

function scale() {
  const rows = [1, 10, 25].map((n) => {
    const base = DEFAULT_CONFIG.pipelines[0]!;
    const config = { pipelines: Array.from({ length: n }, (_, i) => ({ ...base, name: `model-${String(i + 1).padStart(2, '0')}` })) };
    const file = join(mkdtempSync(join(tmpdir(), 'bench-config-')), `pipelines-${n}.json`);
    writeFileSync(file, JSON.stringify(config));
    const { seconds, outdir } = synthApp(APP_COMMAND, { config: file });
    const t = templates(outdir);
    const largest = t.reduce((a, b) => (b.resources > a.resources ? b : a));
    return {
      pipelines: n,
      stacks: t.length,
      seconds: round(seconds),
      largestStack: largest.stack,
      maxResources: largest.resources,
      maxTemplateKb: round(Math.max(...t.map((x) => x.kb)), 1),
    };
  });
  return { rows, ratio25to1: round(rows[2]!.seconds / rows[0]!.seconds) };
}

const SDK_CLIENTS = ['@aws-sdk/client-s3', '@aws-sdk/client-sfn', '@aws-sdk/client-sagemaker', '@aws-sdk/client-sns'];

function lambdas() {
  const dir = bundleLambdas();
  return FUNCTION_NAMES.map((name) => {
    const bundle = join(dir, name, 'index.js');
    const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(bundle)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    // The same with the AWS SDK clients already loaded: the handler's own init (the SDK comes with the runtime).
    const own = `${SDK_CLIENTS.map((m) => `require(${JSON.stringify(m)});`).join(' ')} ${script}`;
    const run = (code: string) =>
      median(Array.from({ length: RUNS }, () => Number(timed(process.execPath, ['-e', code], { AWS_REGION: 'eu-west-1', NODE_NO_WARNINGS: '1' }).stdout)));
    return { function: name, minifiedKb: round(statSync(bundle).size / 1024, 1), coldInitMs: round(run(script), 1), ownInitMs: round(run(own), 1) };
  });
}

function tests() {
  return { seconds: round(timed('npm', ['test', '--silent']).seconds, 1) };
}

/** `npm run simulate`: the whole process, and the story as the simulator itself times it. */
function simulate() {
  const r = timed('npx', ['tsx', 'tools/simulate/main.ts']);
  const story = /Done in ([\d.]+) s/.exec(r.stdout);
  return { processSeconds: round(r.seconds, 1), storySeconds: story ? Number(story[1]) : null };
}

function table(title: string, rows: Record<string, unknown>[]) {
  const cols = Object.keys(rows[0]!);
  const line = (cells: unknown[]) => `| ${cells.map(String).join(' | ')} |`;
  return [`\n${title}`, line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}

async function main() {
  const started = new Date().toISOString();
  const synth = synthFloor();
  const scaled = scale();
  const fns = lambdas();
  const simulation = simulate();
  const suite = args.has('--no-tests') ? undefined : tests();
  const sizes = [...args]
    .find((a) => a.startsWith('--data-sizes='))
    ?.slice('--data-sizes='.length)
    .split(',')
    .map(Number) ?? [64, 256, 1024];
  const data = args.has('--no-data-scale') ? undefined : await dataScale(sizes);
  const results = {
    started,
    machine: { cpus: cpus().length, node: process.version },
    synth,
    scale: scaled,
    lambdas: fns,
    simulate: simulation,
    tests: suite,
    data,
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  console.log(
    table(`Synth (app process: median of ${RUNS}; through the CDK CLI, npx cdk synth -q: median of 3)`, [
      { what: 'empty aws-cdk-lib app, plain JS (floor)', app: synth.floorSeconds, cli: synth.cli.floorSeconds },
      { what: `default app (${APP_COMMAND.join(' ')})`, app: synth.defaultAppSeconds, cli: synth.cli.defaultAppSeconds },
      { what: 'ratio (goal ≤ 1.5)', app: synth.ratio, cli: synth.cli.ratio },
      { what: `default app with the Control Tower checks (-c ${CONTROL_TOWER_CONTEXT}=true)`, app: synth.controlTowerSeconds, cli: '–' },
    ]),
  );
  console.log(table('Scale (generated configs, one stage)', scaled.rows));
  console.log(`ratio 25/1: ${scaled.ratio25to1} (goal ≤ 8); CloudFormation limits: 500 resources, 1 MB template`);
  console.log(
    table(`Lambdas (minified bundle; init = require() in a fresh node, median of ${RUNS}; own = with the runtime's AWS SDK clients already loaded)`, fns),
  );
  console.log(`\nnpm run simulate: ${simulation.processSeconds} s in all, the story ${simulation.storySeconds} s (goal ≤ 30 s)`);
  if (suite) console.log(`\nnpm test: ${suite.seconds} s (goal ≤ 45 s)`);
  if (data) {
    console.log(table('Data scale: the validation task at maxObjects (50 ms GET, 100 ms copy, 100 MiB/s per copy stream; budget 450 s)', data.validation));
    console.log(table('Data scale: ml/preprocess.py on a generated CSV (goal: 1 GiB within 600 MiB RSS)', data.preprocess));
    console.log(
      `a 1000-file drop, 4 preprocessing instances, offline: ${data.shardedDrop.status}, every row in exactly one split: ${data.shardedDrop.everyRowOnce} (${data.shardedDrop.seconds} s)`,
    );
    console.log(`largest dataset.maxBytes the default instances accept: ${data.largestDefaultGib} GiB`);
  }
  console.log('\nwritten: bench/results.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
