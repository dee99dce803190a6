import type { PipelineConfig } from './schema';

/** Hyperparameters sent to the training job: built-in defaults per problem type, overridden by config. */
export function trainingHyperparameters(p: PipelineConfig): Record<string, string> {
  const base: Record<string, string | number> =
    p.training.image !== 'xgboost'
      ? {}
      : p.schema.problemType === 'binary_classification'
        ? { objective: 'binary:logistic', eval_metric: 'auc', num_round: 200, max_depth: 5, eta: 0.2, subsample: 0.8, early_stopping_rounds: 20 }
        : p.schema.problemType === 'multiclass_classification'
          ? {
              objective: 'multi:softprob',
              num_class: p.schema.numClasses ?? 3,
              eval_metric: 'mlogloss',
              num_round: 200,
              max_depth: 5,
              eta: 0.2,
              early_stopping_rounds: 20,
            }
          : { objective: 'reg:squarederror', eval_metric: 'rmse', num_round: 200, max_depth: 5, eta: 0.2, early_stopping_rounds: 20 };
  const merged = { ...base, ...p.training.hyperparameters };
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, String(v)]));
}
