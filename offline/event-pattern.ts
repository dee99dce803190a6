type Json = Record<string, any>;

/**
 * EventBridge content filtering, the subset the platform's rules use: a list of allowed values
 * (any match), `{ prefix }`, `{ "anything-but": [...] }`, `{ exists }`, nested objects, and
 * array-valued event fields (matched when any element matches).
 */
export function matchesPattern(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event?.[key];
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      return rule.some((r) => values.some((v) => matchesValue(r, v)));
    }
    if (rule && typeof rule === 'object') return value !== undefined && value !== null && typeof value === 'object' && matchesPattern(rule, value);
    return false;
  });
}

function matchesValue(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return rule === value;
  const r = rule as Json;
  if ('prefix' in r) return typeof value === 'string' && value.startsWith(r.prefix);
  if ('anything-but' in r) return value !== undefined && ![r['anything-but']].flat().includes(value);
  if ('exists' in r) return (value !== undefined) === r.exists;
  throw new Error(`event pattern operator not supported by the simulator: ${JSON.stringify(r)}`);
}
