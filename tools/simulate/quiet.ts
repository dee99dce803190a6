/** Imported first by main.ts: the simulator's own output is the timeline, not the Lambdas' logs. */
process.env.LOG_LEVEL ??= 'ERROR';
process.env.CDK_VALIDATION ??= 'false';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
const emit = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String((warning as Error).name ?? '').includes('NodeVersionSupportWarning') || /NodeVersionSupportWarning|require node >=22/.test(String(warning)))
    return;
  (emit as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
