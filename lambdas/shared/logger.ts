/** Minimal structured JSON logger (one line per entry, CloudWatch Logs Insights friendly). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export function createLogger(
  service: string,
  sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minLevel: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'INFO',
): Logger {
  const write = (level: LogLevel, message: string, data?: Record<string, unknown>) => {
    if (ORDER[level] < (ORDER[minLevel] ?? 20)) return;
    sink(JSON.stringify({ level, service, message, timestamp: new Date().toISOString(), ...data }));
  };
  return {
    debug: (m, d) => write('DEBUG', m, d),
    info: (m, d) => write('INFO', m, d),
    warn: (m, d) => write('WARN', m, d),
    error: (m, d) => write('ERROR', m, d),
  };
}

/** Collects entries in memory; for tests of logic that must log a decision. */
export function memoryLogger(): Logger & { entries: { level: LogLevel; message: string; data?: Record<string, unknown> }[] } {
  const entries: { level: LogLevel; message: string; data?: Record<string, unknown> }[] = [];
  const push = (level: LogLevel) => (message: string, data?: Record<string, unknown>) => entries.push({ level, message, data });
  return { entries, debug: push('DEBUG'), info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}
