import { StateMachine } from 'aws-local-stepfunctions';

/**
 * aws-local-stepfunctions validates a definition (asl-validator, compiling its JSON schemas with
 * ajv) each time a StateMachine is made: about 270 ms. A StateMachine keeps no state between runs
 * (each `run` takes its input, overrides and context), so one per definition serves every run.
 */
const machines = new Map<string, StateMachine>();

/** The local state machine of a synthesized definition, validated once (paths and ARNs checked). */
export function localStateMachine(definition: object): StateMachine {
  const key = JSON.stringify(definition);
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } } as never);
    machines.set(key, machine);
  }
  return machine;
}
