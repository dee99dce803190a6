import { ProcessingInstanceType, ProductionVariantInstanceType, TrainingInstanceType } from '@aws-sdk/client-sagemaker';
import { closest } from 'fastest-levenshtein';
import * as z from 'zod';

/** What an instance runs: each SageMaker API has its own list (ml.t2.medium hosts a model but cannot train one). */
export type InstanceUse = 'training' | 'processing' | 'hosting';

/** The instance types each API accepts, from the official SDK's enums (CreateTrainingJob, CreateProcessingJob, CreateEndpointConfig). */
const VALID: Readonly<Record<InstanceUse, readonly string[]>> = {
  training: Object.values(TrainingInstanceType),
  processing: Object.values(ProcessingInstanceType),
  hosting: Object.values(ProductionVariantInstanceType),
};

/** Why `value` is not a `use` instance type, naming the nearest valid one (the config loader adds what it got); undefined when it is one. */
export function instanceTypeProblem(value: string, use: InstanceUse): string | undefined {
  const valid = VALID[use];
  if (valid.includes(value)) return undefined;
  const elsewhere = (Object.keys(VALID) as InstanceUse[]).filter((u) => u !== use && VALID[u].includes(value));
  const why = elsewhere.length > 0 ? `; "${value}" is one for ${elsewhere.join(' and ')} only` : '';
  return `expected a SageMaker ${use} instance type, such as "${closest(value, valid as string[])}" (the nearest${why})`;
}

/** A config field holding an instance type for `use`, checked against the API's list at synth. */
export function instanceTypeField(use: InstanceUse, defaultValue: string) {
  if (instanceTypeProblem(defaultValue, use)) throw new Error(`default ${defaultValue} is not a ${use} instance type`);
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = instanceTypeProblem(value, use);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default(defaultValue);
}
