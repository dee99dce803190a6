/**
 * Names a function shares with the construct that deploys it: one literal each, imported by both
 * sides (lib/ may import this module; lambdas/ never import lib/).
 */

/** The endpoint's variants: production, and the model under a shadow test. */
export const PRODUCTION_VARIANT = 'primary';
export const SHADOW_VARIANT = 'shadow';

/**
 * The platform's own CloudWatch metrics: one namespace per pipeline (`MLOps/<resource prefix>`), so a
 * pipeline's functions, limited by a `cloudwatch:namespace` condition, cannot publish a value that
 * fires another pipeline's alarm.
 */
export const metricsNamespace = (resourcePrefix: string): string => `MLOps/${resourcePrefix}`;
export const DRIFT_METRIC = 'DriftedFeatures';
/** The dimension of the platform's metrics: the pipeline's resource prefix. */
export const PIPELINE_DIMENSION = 'Pipeline';

/** Rejected datasets are copied under `quarantine/<pipeline>/<dataset>/` in the landing bucket. */
export const QUARANTINE_PREFIX = 'quarantine';

/** A platform function's name: its pipeline's (or stage's) resource prefix, then its folder under lambdas/ (e-mails name some). */
export const functionName = (resourcePrefix: string, handler: string): string => `${resourcePrefix}-${handler}`;

/** The dead-letter queue of a pipeline's approval rule and deployment and promotion functions (named in e-mails). */
export const approvalDeadLetterQueue = (resourcePrefix: string): string => `${resourcePrefix}-approval-dlq`;

/** Data capture of a pipeline's endpoint: `<pipeline>/datacapture/<endpoint>/<variant>/yyyy/mm/dd/hh/`. */
export const captureRoot = (pipeline: string): string => `${pipeline}/datacapture`;

/** Drift-check inputs and reports: `<pipeline>/monitoring/<check>/`. */
export const monitoringRoot = (pipeline: string): string => `${pipeline}/monitoring`;

/** A dataset's ledger in the artifacts bucket: the run it started (run.json), and one mark per day a re-upload was reported. */
export const datasetLedgerRoot = (pipeline: string): string => `${pipeline}/datasets`;
export const datasetLedger = (pipeline: string, datasetId: string): string => `${datasetLedgerRoot(pipeline)}/${datasetId}`;
/** What the dataset's run listed (keys and versions), written by its validation: a file not in it arrived late. */
export const datasetListing = (pipeline: string, datasetId: string): string => `${datasetLedger(pipeline, datasetId)}/listed.json`;
/** Written once the late files of a dataset were reported (they are reported once per dataset). */
export const lateReportMark = (pipeline: string, datasetId: string): string => `${datasetLedger(pipeline, datasetId)}/late-reported.json`;
