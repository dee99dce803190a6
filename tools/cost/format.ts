/** The plain-text tables of `npm run cost`. */
import type { StageEstimate } from './estimate';
import type { Line, Section, Total } from './lines';
import type { Assumptions } from './pipeline';
import { HOURS_PER_MONTH, type PriceTable, ratesOf } from './prices';

/** What a report shows besides the stages. */
export interface ReportHeader {
  readonly config: string;
  readonly table: PriceTable;
  readonly assumptions: Assumptions;
}

const LABEL = 30;
const DETAIL = 58;
const AMOUNT = 10;

/** What a line priced from `--prices` says. */
const SUPPLIED = 'price from --prices';

/** `1234.5` → `1,234.50`; never `-0.00`. */
export function usd(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return (rounded === 0 ? 0 : rounded).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function row(indent: number, label: string, detail: string, amount: string, after = ''): string {
  const left = `${' '.repeat(indent)}${label}`.padEnd(LABEL);
  return `${left} ${detail.padEnd(DETAIL)} ${amount.padStart(AMOUNT)}${after ? `  ${after}` : ''}`.trimEnd();
}

function lineRow(indent: number, l: Line): string {
  if (l.usd === null) return row(indent, l.label, l.detail, '—', [l.missing, l.note].filter(Boolean).join('; '));
  return row(indent, l.label, l.detail, usd(l.usd), [l.priceFile ? SUPPLIED : '', l.note].filter(Boolean).join('; '));
}

function totalRow(indent: number, label: string, t: Total): string {
  const unpriced = t.unpriced > 0 ? `+ ${t.unpriced} ${t.unpriced === 1 ? 'line' : 'lines'} without a price` : '';
  return row(indent, label, '', t.usd === 0 && t.unpriced > 0 ? '—' : usd(t.usd), unpriced);
}

function sectionRows(indent: number, s: Section): string[] {
  return [`${' '.repeat(indent)}${s.title}`, ...s.lines.map((l) => lineRow(indent + 2, l)), ...(s.total ? [totalRow(indent + 2, 'total', s.total)] : [])];
}

function regionNote(s: StageEstimate): string {
  return s.regionFrom === 'stage' ? '' : s.regionFrom === 'flag' ? ' (from --region)' : ' (the stage names none: --region to change)';
}

/** One stage: its shared lines, each pipeline's sections, the stage's fixed monthly total. */
function formatStage(s: StageEstimate): string[] {
  return [
    `Stage ${s.name}, region ${s.region}${regionNote(s)}`,
    ...(s.problem ? [`  error: ${s.problem}`] : []),
    ...sectionRows(2, s.shared),
    ...s.pipelines.flatMap((p) => [
      `  Pipeline ${p.name}`,
      ...[p.fixedMonthly, p.trainingRun, p.deployment, p.driftCheck, p.perMillionRequests].flatMap((section) => sectionRows(4, section)),
    ]),
    totalRow(2, `Fixed monthly, stage ${s.name}`, s.fixedMonthly),
  ];
}

/** Where the prices come from: the pinned table, and the `--prices` file if any. */
function pricesRows(table: PriceTable): string[] {
  const noSageMaker = Object.values(table.regions).every((r) => ratesOf({ sagemaker: r.sagemaker }).length === 0);
  const pinned =
    `Prices: pinned ${table.pinned} for ${Object.keys(table.regions).join(', ')} (sources in tools/cost/prices.ts${noSageMaker ? '; no SageMaker instance prices' : ''}); ` +
    `USD, on demand, a month of ${HOURS_PER_MONTH} h`;
  const s = table.supplied;
  if (!s) return [pinned];
  const count = Object.values(s.regions).reduce((n, r) => n + ratesOf(r).length, 0);
  return [
    pinned,
    `Supplied: ${count} ${count === 1 ? 'price' : 'prices'} for ${Object.keys(s.regions).join(', ')} from ${s.file} (dated ${s.date}), ` +
      `each over the pinned one; their lines say "${SUPPLIED}"`,
    `  source: ${s.source}`,
  ];
}

/** The whole report. */
export function formatReport(header: ReportHeader, stages: readonly StageEstimate[]): string {
  const a = header.assumptions;
  const lines = [
    `Cost estimate, config: ${header.config}`,
    ...pricesRows(header.table),
    `Assumed: preprocess ${a.preprocessMinutes} min, train ${a.trainMinutes} min, evaluate ${a.evaluateMinutes} min, drift check ${a.driftMinutes} min a run, ` +
      `${a.requestBytes} B captured a request, ${a.serverlessMs} ms a serverless request (flags change them: --help)`,
    '',
    ...stages.flatMap((s) => [...formatStage(s), '']),
    'Fixed monthly = the stage-wide lines (KMS, and the free tiers, taken once per stage as one account) + each pipeline\'s "Fixed monthly"',
    '(its alarms, dashboard and schedules before the free tiers). The drift check adds its monthly figure while an endpoint has traffic.',
    'Usage-based and left out: KMS, S3 and SageMaker requests, Lambda, Step Functions, EventBridge events, CloudWatch Logs and custom metrics, SageMaker ML',
    'storage volumes, data transfer. "no price": neither the pinned table nor --prices has that item for that region (README "Cost": how to add it).',
  ];
  return `${lines.join('\n')}\n`;
}
