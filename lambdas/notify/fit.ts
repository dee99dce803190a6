/** Keeps messages within what SNS accepts and a reader can use: short lists, clipped texts, a byte budget. */

/** SNS Publish: a Subject is "less than 100 characters long" (API_Publish). */
export const MAX_SUBJECT_CHARS = 99;
/** SNS Publish: message body plus attributes, at most 256 KiB on a topic with the default MaximumMessageSize. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Items of a list (reasons, files) shown in a message; the rest are counted. */
export const MAX_LIST_ITEMS = 20;
/** Characters of one quoted text (a reason, a cause) shown in a message. */
export const MAX_TEXT_CHARS = 2000;

/**
 * Control characters (line breaks included), line separators and bidirectional overrides, which
 * untrusted text (a CSV header, an object key, an ApprovalDescription) could use to forge lines of
 * an e-mail or reorder what a reader sees.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this expression is for
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Untrusted text as one visible line: every unsafe character written as its escape (`\n`, `\u202e`). */
export function plain(text: string): string {
  return text.replace(UNSAFE, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** Untrusted text made {@link plain} and cut to `max` characters, saying how much was left out. */
export function clip(text: string, max = MAX_TEXT_CHARS): string {
  const chars = [...plain(text)];
  if (chars.length <= max) return chars.join('');
  return `${chars.slice(0, max).join('')}… (${chars.length - max} more characters)`;
}

/**
 * The first `MAX_LIST_ITEMS` items as bullet lines, each clipped, then "… and N more" naming where the
 * full list is, when there is such a place.
 */
export function listLines(items: readonly string[], bullet = '- ', fullListAt?: string): string[] {
  const shown = items.slice(0, MAX_LIST_ITEMS).map((r) => `${bullet}${clip(r)}`);
  const rest = items.length - shown.length;
  if (rest <= 0) return shown;
  return [...shown, `… and ${rest} more${fullListAt ? ` (the full list: ${fullListAt})` : ''}`];
}

/** Cuts `body` at a character boundary so that it, plus `note`, fits in `maxBytes` UTF-8 bytes. */
export function fitBytes(body: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(body, 'utf8') <= maxBytes) return body;
  const budget = maxBytes - Buffer.byteLength(note, 'utf8');
  let used = 0;
  let out = '';
  for (const ch of body) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (used + n > budget) break;
    used += n;
    out += ch;
  }
  return out + note;
}

/** SNS subjects: printable ASCII on one line, fewer than 100 characters, cut with "...". */
export function subjectLine(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const subject = ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
  return subject === '' ? 'MLOps notification' : subject;
}
