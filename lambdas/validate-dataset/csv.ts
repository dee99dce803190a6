import { globToRegExp } from '../shared/glob';

/** Splits one CSV record (RFC 4180 quoting) into fields. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

/**
 * Reads the start of a CSV file: its header fields and how many complete data lines the chunk
 * holds. `complete` says the chunk is the whole file (so the count is exact).
 */
export function inspectCsvHead(chunk: string, complete: boolean): { header: string[]; dataLines: number } {
  const text = chunk.replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  if (!complete) lines.pop(); // the last line of a partial read may be cut
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  return { header: nonEmpty.length > 0 ? parseCsvLine(nonEmpty[0]!) : [], dataLines: Math.max(0, nonEmpty.length - 1) };
}

/** Human-readable differences between a header and the configured columns, empty when equal. */
export function headerProblems(header: readonly string[], columns: readonly string[], label: string): string[] {
  const problems: string[] = [];
  const missing = columns.filter((c) => !header.includes(c));
  const unexpected = header.filter((h) => !columns.includes(h));
  if (!header.includes(label)) problems.push(`label column "${label}" is missing`);
  const missingFeatures = missing.filter((c) => c !== label);
  if (missingFeatures.length > 0) problems.push(`missing columns: ${missingFeatures.join(', ')}`);
  if (unexpected.length > 0) problems.push(`unexpected columns: ${unexpected.join(', ')}`);
  const duplicates = [...new Set(header.filter((h, i) => header.indexOf(h) !== i))];
  if (duplicates.length > 0) problems.push(`duplicate columns: ${duplicates.join(', ')}`);
  if (problems.length === 0 && header.join('\u0000') !== columns.join('\u0000')) {
    const at = columns.findIndex((c, i) => header[i] !== c);
    problems.push(
      `columns are not in the configured order: column ${at + 1} is "${header[at]}", expected "${columns[at]}" (expected order: ${columns.join(', ')})`,
    );
  }
  return problems;
}

const NOT_UTF8 = 'is not UTF-8 text (binary content or another encoding): save it as UTF-8 CSV';

/**
 * The start of a file named .csv as text, or why it cannot be CSV text, in one line (never its
 * bytes): gzip-compressed (gzip's magic bytes 1f 8b), or not UTF-8 text (bytes that do not decode,
 * or NUL). A U+FFFD written as text is valid UTF-8. `complete` says the bytes are the whole file:
 * a partial read may end inside a multi-byte character, which is not a fault.
 */
export function decodeHead(bytes: Uint8Array, complete: boolean): { text: string } | { problem: string } {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { problem: 'is gzip-compressed: upload the uncompressed .csv' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
  } catch {
    return { problem: NOT_UTF8 };
  }
  return text.includes('\u0000') ? { problem: NOT_UTF8 } : { text };
}

/** Whether a key under the dataset is a tool's by-product (a path segment matches an ignore pattern). */
export function isIgnored(relativeKey: string, patterns: readonly string[]): boolean {
  const res = patterns.map((p) => globToRegExp(p));
  return relativeKey.split('/').some((segment) => res.some((re) => re.test(segment)));
}
