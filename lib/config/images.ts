/**
 * Registries of the SageMaker-managed images the platform uses by default.
 *
 * Source: the SageMaker Python SDK's `image_uri_config/xgboost.json` (training, 1.7-1) and
 * `image_uri_config/sklearn.json` (1.2-1). In every commercial region both images live in the
 * same SageMaker-owned account; SKLearn 1.2-1 is not published in ca-west-1 and il-central-1.
 */
export const BUILT_IN_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/** Commercial regions where the built-in XGBoost 1.7-1 training image is published. */
export const XGBOOST_REGIONS: readonly string[] = Object.keys(BUILT_IN_IMAGE_ACCOUNTS);

/** Regions without the SKLearn 1.2-1 processing image. */
const NO_SKLEARN = new Set(['ca-west-1', 'il-central-1']);

/**
 * Regions where the whole default workflow runs: SKLearn processing and XGBoost training.
 */
export const SUPPORTED_REGIONS: readonly string[] = XGBOOST_REGIONS.filter((r) => !NO_SKLEARN.has(r));

export const XGBOOST_REPOSITORY = 'sagemaker-xgboost';
export const XGBOOST_TAG = '1.7-1';
export const SKLEARN_REPOSITORY = 'sagemaker-scikit-learn';
export const SKLEARN_TAG = '1.2-1-cpu-py3';

/** `<account>.dkr.ecr.<region>.<urlSuffix>/<repository>:<tag>`; works with tokens. */
export function imageUri(account: string, region: string, urlSuffix: string, repository: string, tag: string): string {
  return `${account}.dkr.ecr.${region}.${urlSuffix}/${repository}:${tag}`;
}

/**
 * Instance families with local NVMe instance storage. SageMaker rejects `VolumeKmsKeyId` for
 * these (their storage is hardware-encrypted), so the workflow omits it for them.
 * Source: SageMaker API reference, `ResourceConfig.VolumeKmsKeyId` and `ProcessingClusterConfig`.
 */
const INSTANCE_STORE_FAMILIES = [
  /^ml\.[a-z]\d+[a-z]*d[a-z]*\./, // m5d, c5d, r5d, m6id, c6id, r6id, g4dn, ...
  /^ml\.g5\./,
  /^ml\.g6\./,
  /^ml\.g6e\./,
  /^ml\.p3dn\./,
  /^ml\.p4d\./,
  /^ml\.p4de\./,
  /^ml\.p5\./,
  /^ml\.trn1\./,
  /^ml\.trn1n\./,
  /^ml\.inf2\./,
];

/** True when the instance type has local NVMe storage and so must not get a volume KMS key. */
export function hasInstanceStorage(instanceType: string): boolean {
  return INSTANCE_STORE_FAMILIES.some((re) => re.test(instanceType));
}
