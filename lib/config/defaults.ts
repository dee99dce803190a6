import type { ConfigInput } from './schema';

/**
 * The 30 features of the Wisconsin breast-cancer data set (as shipped with scikit-learn),
 * with spaces replaced by underscores, and the label `malignant` (1 = malignant).
 */
export const BREAST_CANCER_COLUMNS: readonly string[] = [
  'malignant',
  ...['mean', 'error', 'worst'].flatMap((kind) =>
    ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave_points', 'symmetry', 'fractal_dimension'].map((f) =>
      kind === 'mean' ? `mean_${f}` : kind === 'error' ? `${f}_error` : `worst_${f}`,
    ),
  ),
];

/**
 * Built-in configuration: `npx cdk synth` works with no input at all. One `dev` stage and one
 * binary-classification pipeline trained with the built-in XGBoost algorithm.
 */
export const DEFAULT_CONFIG: ConfigInput = {
  project: 'mlops',
  stages: [{ name: 'dev' }],
  notifications: { emails: [] },
  pipelines: [
    {
      name: 'breast-cancer',
      description: 'Demo: malignant vs benign tumours from the Wisconsin breast-cancer data set.',
      schema: { columns: [...BREAST_CANCER_COLUMNS], label: 'malignant', problemType: 'binary_classification' },
      evaluation: { metric: 'auc', threshold: 0.9 },
    },
  ],
};
