import { App, Stack } from 'aws-cdk-lib';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { validateEnv } from '../../lambdas/validate-dataset/contract';
import { envBoolean, envJson, envNumber, envReader, envText } from '../../lambdas/shared/env';
import { MisconfiguredError } from '../../lambdas/shared/errors';
import { environmentFor } from '../../lib/constructs/function-environment';
import { synthPlatform } from '../../offline/synth';

const contract = z.object({ NAME: envText(), COUNT: envNumber(), ON: envBoolean(), LIST: envJson(z.array(z.string())) });
const good = { NAME: 'x', COUNT: '3', ON: 'true', LIST: '["a"]' };

describe('a function environment contract', () => {
  it('parses every variable to its type', () => {
    expect(envReader(contract)(good)).toEqual({ NAME: 'x', COUNT: 3, ON: true, LIST: ['a'] });
  });

  it('names every missing or malformed variable in one MisconfiguredError', () => {
    const read = envReader(contract);
    expect(() => read({ COUNT: 'many', ON: 'yes', LIST: '[' })).toThrow(MisconfiguredError);
    expect(() => read({ COUNT: 'many', ON: 'yes', LIST: '[' })).toThrow(
      /environment variable NAME is not set; environment variable COUNT is not valid: is not a decimal number; environment variable ON is not valid: .*; environment variable LIST is not valid: is not JSON/,
    );
  });

  it('takes numbers only as plain decimals (no blank, no hex)', () => {
    const read = envReader(contract);
    for (const bad of [' ', '0x10', '1e3', '12abc']) expect(() => read({ ...good, COUNT: bad }), bad).toThrow('environment variable COUNT is not valid');
    expect(read({ ...good, COUNT: '-2.5' }).COUNT).toBe(-2.5);
  });

  it('parses once while the variables stay the same, and again when one changes', () => {
    const read = envReader(contract);
    const first = read(good);
    expect(read({ ...good, UNRELATED: 'x' })).toBe(first);
    expect(read({ ...good, COUNT: '4' }).COUNT).toBe(4);
  });

  it('is what the construct sets: every function of the default app has exactly the variables its contract names, all valid', () => {
    const s = synthPlatform();
    const fns = Object.values(s.template(s.stages.get('dev')!.pipelines[0]!).findResources('AWS::Lambda::Function')) as {
      Properties: { FunctionName?: string; Environment: { Variables: Record<string, unknown> } };
    }[];
    const validate = fns.find((f) => f.Properties.FunctionName === 'mlops-dev-breast-cancer-validate-dataset')!;
    const vars = Object.keys(validate.Properties.Environment.Variables).filter((k) => k !== 'NODE_OPTIONS');
    expect(vars.sort()).toEqual(Object.keys(validateEnv.shape).sort());
  });

  it('fails the synth, naming the variable, when a construct sets one the contract does not have', () => {
    const app = new App();
    const stack = new Stack(app, 'Scratch');
    environmentFor(stack, contract, { ...good, EXTRA: 'x' } as typeof good);
    expect(() => app.synth()).toThrow(/environment variable EXTRA is not in the function's contract/);
  });

  it('fails the synth, naming the construct, when a value known at synth breaks the contract', () => {
    const app = new App();
    const stack = new Stack(app, 'Scratch');
    environmentFor(stack, contract, { NAME: 'x', COUNT: 'three', ON: 'true', LIST: '["a"]' });
    expect(() => app.synth()).toThrow(/Scratch.*environment variable COUNT \("three"\) is not valid: is not a decimal number/s);
  });
});
