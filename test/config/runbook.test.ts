import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AWS from 'aws-sdk';
import { describe, expect, it } from 'vitest';

/**
 * The runbook works (#19 item 6): every AWS CLI command in the README and in the e-mails names an
 * operation and options the official API model has, and every README heading an e-mail points to
 * exists.
 */
const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const notifySources = readdirSync(join(ROOT, 'lambdas', 'notify'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(ROOT, 'lambdas', 'notify', f), 'utf8'));

type ApiModel = { operations: Record<string, { input?: { members?: Record<string, unknown> } }> };
const region = { region: 'eu-west-1' };
const MODELS: Record<string, ApiModel> = {
  sagemaker: (new AWS.SageMaker(region) as unknown as { api: ApiModel }).api,
  'application-autoscaling': (new AWS.ApplicationAutoScaling(region) as unknown as { api: ApiModel }).api,
  'sagemaker-runtime': (new AWS.SageMakerRuntime(region) as unknown as { api: ApiModel }).api,
  events: (new AWS.EventBridge(region) as unknown as { api: ApiModel }).api,
  pricing: (new AWS.Pricing(region) as unknown as { api: ApiModel }).api,
  sqs: (new AWS.SQS(region) as unknown as { api: ApiModel }).api,
  lambda: (new AWS.Lambda(region) as unknown as { api: ApiModel }).api,
};
/** The CLI's own options, not members of any request. */
const GLOBAL_OPTIONS = new Set(['region', 'profile', 'output', 'query', 'no-cli-pager', 'cli-binary-format']);
const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z0-9])/g, (_, _d, c: string) => c.toUpperCase());

/** Splits Markdown into fenced code (with its language) and prose, by fence lines. */
function fenced(text: string): { code: { lang: string; body: string }[]; prose: string } {
  const code: { lang: string; body: string }[] = [];
  const prose: string[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence && !open) open = { lang: fence[1]!, lines: [] };
    else if (fence && open) {
      code.push({ lang: open.lang, body: open.lines.join('\n') });
      open = undefined;
    } else if (open) open.lines.push(line);
    else prose.push(line);
  }
  return { code, prose: prose.join('\n') };
}

/** `aws …` commands: in shell code blocks (with `\` continuations) and in inline code, possibly wrapped over lines. */
function commands(text: string): string[] {
  const found: string[] = [];
  const { code, prose } = fenced(text);
  for (const block of code.filter((b) => ['bash', 'sh', ''].includes(b.lang))) {
    for (const line of block.body.replace(/\\\n\s*/g, ' ').split('\n')) if (/^\s*aws /.test(line)) found.push(line.trim());
  }
  for (const m of prose.matchAll(/`\s*(aws [a-z-]+ [a-z-]+[^`]*)`/g)) found.push(m[1]!.replace(/\s+/g, ' ').trim());
  return [...new Set(found)];
}

function problemsOf(command: string): string[] {
  const [, service, operation, ...rest] = command.split(' ');
  const model = MODELS[service!];
  if (!model) return service === 's3' ? [] : [`${command}: no API model for "${service}" here: add it to MODELS`];
  const op = model.operations[operation!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
  if (!op) return [`${command}: ${service} has no operation ${operation}`];
  const members = new Set(Object.keys(op.input?.members ?? {}));
  return rest
    .filter((t) => t.startsWith('--'))
    .map((t) => t.slice(2))
    .filter((o) => !GLOBAL_OPTIONS.has(o) && !members.has(pascal(o)) && !members.has(pascal(o.replace(/^no-/, ''))))
    .map((o) => `${command}: ${service} ${operation} has no option --${o}`);
}

describe('the runbook', () => {
  const readmeCommands = commands(readme);
  // In the e-mails' code: an `aws …` command anywhere in a string, up to the string's end.
  const mailCommands = notifySources.flatMap((src) =>
    [...src.matchAll(/\baws (?:sagemaker|application-autoscaling) [a-z-]+[^`'"\n]*/g)].map((m) => m[0].trim()),
  );

  it('finds the commands it checks (README and e-mails)', () => {
    expect(readmeCommands.length).toBeGreaterThanOrEqual(8);
    expect(readmeCommands.some((c) => c.startsWith('aws application-autoscaling register-scalable-target'))).toBe(true);
    expect(mailCommands.some((c) => c.startsWith('aws sagemaker delete-endpoint'))).toBe(true);
    expect(mailCommands.some((c) => c.startsWith('aws sagemaker update-model-package'))).toBe(true);
  });

  it("names only operations and options of the APIs' official models", () => {
    expect([...readmeCommands, ...mailCommands].flatMap(problemsOf)).toEqual([]);
  });

  it('would catch a misspelled operation or option', () => {
    expect(problemsOf('aws sagemaker update-endpoints --endpoint-name x')).toEqual([
      'aws sagemaker update-endpoints --endpoint-name x: sagemaker has no operation update-endpoints',
    ]);
    expect(problemsOf('aws sagemaker update-endpoint --endpoint-nme x')).toEqual([
      'aws sagemaker update-endpoint --endpoint-nme x: sagemaker update-endpoint has no option --endpoint-nme',
    ]);
  });

  it('points the e-mails only at README headings that exist', () => {
    const refs = notifySources.flatMap((s) => [...s.matchAll(/README, "([^"]+)"/g)].map((m) => m[1]!));
    expect(refs.length).toBeGreaterThan(0);
    const headings = [...readme.matchAll(/^#+ (.+)$/gm), ...readme.matchAll(/\*\*([^*]+?)\.?\*\*/g)].map((m) => m[1]!.replace(/\.$/, ''));
    for (const r of refs) expect(headings, r).toContain(r);
  });
});
