/**
 * Why a grant of the platform's roles is never exercised by the offline story, matched on
 * `<role logical id>|<action>`. Every grant the story leaves unused must be listed here with its
 * reason, or removed: the story test asserts that none is unexplained.
 */
export const UNEXERCISED_REASONS: readonly (readonly [RegExp, string])[] = [
  [
    /(DatasetTriggerHandlerRole|DriftCheckFunctionRole|PromotionFunctionRole)[0-9A-F]*\|s3:ListBucket$/,
    "Lets S3 answer 404 rather than 403 for a key that does not exist: a URL-decoded key that is not there (trigger), a run without a baseline (drift check), a source run without a baseline (promotion, in the source's bucket); the story has none.",
  ],
  [
    /Function(Role)?[0-9A-F]*\|logs:(CreateLogStream|PutLogEvents)$|HandlerRole[0-9A-F]*\|logs:(CreateLogStream|PutLogEvents)$/,
    "Lambda writes the function's own log stream; the offline cloud does not model CloudWatch Logs.",
  ],
  [
    /\|xray:(PutTelemetryRecords|PutTraceSegments|GetSamplingRules|GetSamplingTargets)$/,
    'X-Ray active tracing sends segments outside the requests the offline cloud models.',
  ],
  [
    /StateMachineRole[0-9A-F]*\|logs:(CreateLogDelivery|DeleteLogDelivery|DescribeLogGroups|DescribeResourcePolicies|GetLogDelivery|ListLogDeliveries|PutResourcePolicy|UpdateLogDelivery)$/,
    "Step Functions sets up log delivery to the encrypted log group when the state machine is created or updated (CDK's documented grant), not during a run.",
  ],
  [
    /ModelDeploymentWorkflowStateMachineRole[0-9A-F]*\|sagemaker:DeleteEndpoint$/,
    'Deletes the endpoint a first deployment created when that deployment then fails; the story does not fail it (test/workflows/deployment-recovery.test.ts does).',
  ],
  [
    /(ValidateFunctionRole|PromotionFunctionRole)[0-9A-F]*\|s3:AbortMultipartUpload$/,
    'Aborts a multipart copy (objects over 1 GiB) when a part fails: a file copied into the run snapshot (validation), a promoted model artifact (promotion); the story has neither such an object nor the failure (test/lambdas/s3-object-store.test.ts covers it).',
  ],
  [
    /StateMachineRole[0-9A-F]*\|sagemaker:Stop(Processing|Training)Job$/,
    'Step Functions stops a .sync job only when its execution is stopped or times out; no story path does.',
  ],
  [
    /StateMachineRole[0-9A-F]*\|kms:(CreateGrant|DescribeKey)$/,
    'The caller of CreateTrainingJob/CreateProcessingJob/CreateEndpointConfig names the stage key for volumes and outputs; which principal SageMaker checks for the grant is not documented (the offline cloud checks the execution role, as the SageMaker roles guide lists it).',
  ],
  [
    /Role[0-9A-F]*\|sqs:(GetQueueAttributes|GetQueueUrl)$/,
    "Part of CDK's grant to send to the dead-letter queue; the send itself is authorized by the configured-delivery check, these two are never called.",
  ],
  [
    /ApprovalFunctionRole[0-9A-F]*\|events:PutEvents$/,
    'The approval Lambda announces a model only when an operator Rejects its package; the story approves (test/lambdas/model-approval.test.ts rejects).',
  ],
  [/CleanupFunctionRole[0-9A-F]*\|/, 'The clean-up custom resource runs when the pipeline stack is deleted; the story never deletes it.'],
  [
    /DatasetTriggerHandlerRole[0-9A-F]*\|s3:GetObject$/,
    'HeadObject of a completion marker (s3:GetObject) runs only when the pipeline configures dataset.completionMarker.',
  ],
  [
    /GateFunctionRole[0-9A-F]*\|sagemaker:(ListModelPackages|DescribeModelPackage)$/,
    'The champion lookup runs only with evaluation.mustBeatChampion (off in the default config).',
  ],
  [
    /DeploymentWorkflowStateMachineRole[0-9A-F]*\|(iam:CreateServiceLinkedRole|cloudwatch:(PutMetricAlarm|DescribeAlarms|DeleteAlarms)|sagemaker:UpdateEndpointWeightsAndCapacities|application-autoscaling:DescribeScalableTargets)$/,
    "Application Auto Scaling acts with its caller's permissions when it registers the target and creates the target-tracking alarms; the offline cloud accepts those calls without modelling what AAS does inside.",
  ],
  [/DeploymentWorkflowStateMachineRole[0-9A-F]*\|sagemaker:UpdateModelPackage$/, 'Sets the package to Rejected on a rollback; the story promotes.'],
  [
    /DeploymentWorkflowStateMachineRole[0-9A-F]*\|application-autoscaling:TagResource$/,
    'Tags a scalable target that was registered before (a restore or a recovery check; the deployment workflow tests run it); the story promotes, after a descale.',
  ],
  [
    /DeploymentWorkflowStateMachineRole[0-9A-F]*\|sagemaker:DescribeModelPackage$/,
    "SageMaker may read the package for CreateModel from a ModelPackageName with the caller's permissions (not documented; kept so a first deploy does not fail).",
  ],
  [
    /SageMakerExecutionRole[0-9A-F]*\|(s3:PutObject|logs:(CreateLogStream|PutLogEvents))$/,
    'Transitional: data capture and endpoint logs of models an earlier version created as the jobs role; the story creates its models as the model role.',
  ],
  [
    /SageMakerModelRole[0-9A-F]*\|cloudwatch:DescribeAlarms$/,
    "SageMaker reads the auto-rollback alarms as the model's role during a blue/green update; the offline SageMaker does not model that read.",
  ],
  [
    /SageMakerExecutionRole[0-9A-F]*\|s3:(GetObjectVersion|AbortMultipartUpload)$/,
    'SageMaker reads inputs by key (not version) here and uploads large outputs in parts; the stand-in uploads small files whole.',
  ],
  [
    /SageMaker(Execution|Model)Role[0-9A-F]*\|(kms:(DescribeKey|Encrypt)|logs:(CreateLogGroup|DescribeLogStreams)|cloudwatch:PutMetricData|ecr:BatchCheckLayerAvailability)$/,
    'In the minimum execution-role policy of the SageMaker roles guide (output key, log group set-up, job metrics, layer checks); the offline jobs do not make these calls.',
  ],
];
