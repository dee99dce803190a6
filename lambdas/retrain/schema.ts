// A namespace import lets esbuild tree-shake zod: 90 KB instead of 454 KB per bundle (npm run bench).
import * as z from 'zod';

const alarmState = z.object({ value: z.string(), reason: z.string().optional(), timestamp: z.string().optional() });

/** The inputs of the pipeline's two retraining schedules (the construct sets them; the handler reads them). */
export const SCHEDULED_RETRAINING = 'scheduled-retraining';
/** Hourly while drift may persist: the handler reads the drift alarm and, in ALARM, decides as for its state change. */
export const DRIFT_RECHECK = 'drift-recheck';

/**
 * "CloudWatch Alarm State Change" (EventBridge schema registry, aws.cloudwatch@CloudWatchAlarmStateChange:
 * detail.alarmName, detail.state, detail.previousState, detail.configuration), or the input the
 * pipeline's EventBridge Scheduler schedule sends.
 */
export const retrainEventSchema = z.union([
  z.object({
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    source: z.literal('aws.cloudwatch'),
    id: z.string(),
    time: z.string().optional(),
    /** The alarm's ARN (the documented event carries it in resources). */
    resources: z.array(z.string()).min(1),
    detail: z.object({ alarmName: z.string().min(1), state: alarmState, previousState: alarmState.optional() }),
  }),
  z.strictObject({ kind: z.enum([SCHEDULED_RETRAINING, DRIFT_RECHECK]), pipeline: z.string().min(1) }),
]);
