/**
 * Whether the configured instances can hold a dataset of `dataset.maxBytes` (#17 C): checked at
 * synth, so a limit the instances cannot meet is a ConfigError naming the field, not a job that
 * dies of a full disk or of memory after data is dropped.
 */

const GIB = 1024 ** 3;

/** vCPUs of an instance size (the same in every family below). */
const VCPUS: Readonly<Record<string, number>> = {
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '9xlarge': 36,
  '12xlarge': 48,
  '16xlarge': 64,
  '18xlarge': 72,
  '24xlarge': 96,
  '32xlarge': 128,
};
/** GiB of memory per vCPU of the families we check (EC2's published sizes: m5.large 8 GiB, c5.large 4 GiB, r5.large 16 GiB). */
const GIB_PER_VCPU: Readonly<Record<string, number>> = { m5: 4, m5d: 4, m6i: 4, m7i: 4, c5: 2, c5d: 2, c6i: 2, c7i: 2, r5: 8, r5d: 8, r6i: 8, r7i: 8 };
/** Burstable sizes, which do not follow the per-vCPU rule. */
const T3: Readonly<Record<string, number>> = { medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };

/** An instance type's memory in GiB, or undefined for a family this table does not hold (not checked). */
export function instanceMemoryGib(instanceType: string): number | undefined {
  const m = /^ml\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceType);
  if (!m) return undefined;
  const [, family, size] = m as unknown as [string, string, string];
  if (family === 't3') return T3[size];
  const perVcpu = GIB_PER_VCPU[family];
  return perVcpu !== undefined && VCPUS[size] !== undefined ? perVcpu * VCPUS[size] : undefined;
}

/**
 * Disk the preprocessing job needs per instance, as a multiple of the data it gets: the input
 * (File mode copies it to the volume), the hash partitions of ml/preprocess.py (which shrink as the
 * outputs grow) and the outputs, plus room for the baseline sample and the CSV re-serialization.
 */
export const PREPROCESS_VOLUME_FACTOR = 2.2;

interface CapacityInput {
  readonly dataset: { readonly maxBytes: number; readonly testFraction: number; readonly validationFraction: number };
  readonly preprocessing: { readonly volumeSizeGb: number };
  readonly training: { readonly image: string; readonly instanceType: string; readonly instanceCount: number; readonly volumeSizeGb: number };
  readonly evaluation: { readonly volumeSizeGb: number };
}

const gib = (bytes: number) => Math.ceil((bytes / GIB) * 10) / 10;
/** Whole GB needed for `bytes` (a hair of float error does not round up). */
const gb = (bytes: number) => Math.ceil(bytes / GIB - 1e-9);

/** Problems of a pipeline's instances at `dataset.maxBytes`, with the field to change. */
export function capacityProblems(p: CapacityInput): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const max = p.dataset.maxBytes;
  const at = `at dataset.maxBytes ${gib(max)} GiB`;
  // SageMaker shards by file, not by byte: one file may be the whole dataset, so every instance must hold it.
  const prep = PREPROCESS_VOLUME_FACTOR * max;
  if (p.preprocessing.volumeSizeGb * GIB < prep) {
    problems.push({
      path: ['preprocessing', 'volumeSizeGb'],
      message: `${p.preprocessing.volumeSizeGb} GB cannot hold the data a preprocessing instance may get ${at}: it needs about ${gb(prep)} GB (the input, ml/preprocess.py's hash partitions and the outputs, ${PREPROCESS_VOLUME_FACTOR}× the data; SageMaker shards by file, so one instance may get it all); raise it or lower dataset.maxBytes`,
    });
  }
  // File mode copies the train share and the whole validation split to each training instance.
  const trainShare = (max * (1 - p.dataset.validationFraction - p.dataset.testFraction)) / p.training.instanceCount;
  const trainDisk = trainShare + max * p.dataset.validationFraction + GIB;
  if (p.training.volumeSizeGb * GIB < trainDisk) {
    problems.push({
      path: ['training', 'volumeSizeGb'],
      message: `${p.training.volumeSizeGb} GB cannot hold a training instance's data ${at}: it needs about ${gb(trainDisk)} GB (its train share, the validation split and 1 GB for the model)`,
    });
  }
  // The built-in XGBoost holds its CSV training data in memory: the total memory must hold the train split.
  const memory = instanceMemoryGib(p.training.instanceType);
  const trainBytes = max * (1 - p.dataset.validationFraction - p.dataset.testFraction);
  if (p.training.image === 'xgboost' && memory !== undefined && memory * p.training.instanceCount * GIB < trainBytes) {
    problems.push({
      path: ['training', 'instanceType'],
      message: `${p.training.instanceCount} × ${p.training.instanceType} (${memory} GiB each) cannot hold the train split ${at} (about ${gib(trainBytes)} GiB), which the built-in XGBoost keeps in memory: choose a larger type, more instances (training.instanceCount) or lower dataset.maxBytes`,
    });
  }
  const evalDisk = max * p.dataset.testFraction + GIB;
  if (p.evaluation.volumeSizeGb * GIB < evalDisk) {
    problems.push({
      path: ['evaluation', 'volumeSizeGb'],
      message: `${p.evaluation.volumeSizeGb} GB cannot hold the test split ${at}: it needs about ${gb(evalDisk)} GB`,
    });
  }
  return problems;
}
