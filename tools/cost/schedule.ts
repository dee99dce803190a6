/**
 * How often an EventBridge Scheduler expression fires: `rate(<n> <unit>)` exactly, `cron(<6
 * fields>)` on average (days of the month and weekday patterns averaged over a 365.25-day year).
 */

const DAYS_PER_MONTH = 365.25 / 12;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Thrown for an expression this module cannot read (the config schema lets only well-formed ones through). */
export class ScheduleError extends Error {}

/** Average firings a day of `expression`. */
export function runsPerDay(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const perDay = rate[2]!.startsWith('minute') ? 1440 : rate[2]!.startsWith('hour') ? 24 : 1;
    return perDay / n;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) throw new ScheduleError(`cannot read the schedule "${expression}": expected rate(<n> <unit>) or cron(<6 fields>)`);
  const [, minutes, hours, dayOfMonth, month, dayOfWeek] = cron as unknown as [string, string, string, string, string, string];
  const monthShare = month === '*' ? 1 : values(month, 1, 12, MONTHS).size / 12;
  return values(minutes, 0, 59).size * values(hours, 0, 23).size * dayShare(dayOfMonth, dayOfWeek) * monthShare;
}

/** Share of days the day-of-month and day-of-week fields let through (one of them is `?` in AWS cron). */
function dayShare(dayOfMonth: string, dayOfWeek: string): number {
  if (dayOfWeek !== '?' && dayOfWeek !== '*') {
    // "MON#2" (second Monday) and "5L" (last Thursday) fire once a month; plain weekdays once a week.
    const parts = dayOfWeek.split(',');
    const monthly = parts.filter((p) => /[#L]/.test(p)).length;
    const weekly = values(parts.filter((p) => !/[#L]/.test(p)).join(','), 1, 7, WEEKDAYS).size;
    return weekly / 7 + monthly / DAYS_PER_MONTH;
  }
  if (dayOfMonth === '?' || dayOfMonth === '*') return 1;
  // "L" (last day) and "15W" (nearest weekday) are one day each.
  const parts = dayOfMonth.split(',');
  const special = parts.filter((p) => /[LW]/.test(p)).length;
  return (values(parts.filter((p) => !/[LW]/.test(p)).join(','), 1, 31).size + special) / DAYS_PER_MONTH;
}

/** The values a cron field selects: `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n`, comma lists, names. */
function values(field: string, min: number, max: number, names: readonly string[] = []): Set<number> {
  const selected = new Set<number>();
  if (field === '') return selected;
  const value = (token: string) => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + min : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleError(`cannot read the cron field "${field}"`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, step] = part.split('/') as [string, string | undefined];
    const [from, to] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(value) : [value(range), step ? max : value(range)];
    const by = step === undefined ? 1 : Number(step);
    if (!Number.isInteger(by) || by < 1) throw new ScheduleError(`cannot read the cron field "${field}"`);
    for (let v = from!; v <= to!; v += by) selected.add(v);
  }
  return selected;
}
