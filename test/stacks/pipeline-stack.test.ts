import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAGEMAKER_THROTTLING_ERRORS, SAGEMAKER_TRANSIENT_ERRORS } from '../../lib/constructs/retries';
import { stateMachines } from '../../offline/cfn';
import { triggerConcurrency } from '../../lib/constructs/dataset-trigger';
import { normalizeTemplate } from '../helpers/normalize';
import { synthPlatform, type Synthesized } from '../../offline/synth';

let s: Synthesized;
const pipeline = () => s.template(s.stages.get('dev')!.pipelines[0]!);
const asl = () => stateMachines(pipeline())[0]!.definition;
const policyStatements = () =>
  Object.values(pipeline().findResources('AWS::IAM::Policy')).flatMap((p: any) =>
    p.Properties.PolicyDocument.Statement.map((st: any) => ({ policy: p, ...st })),
  );

beforeAll(() => {
  s = synthPlatform();
});

describe('pipeline stack: trigger', () => {
  it('routes only Object Created events of the landing bucket under the pipeline prefix', () => {
    pipeline().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ 'Fn::Join': ['', ['mlops-dev-landing-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] }] },
          object: { key: [{ prefix: 'breast-cancer/' }] },
        },
      },
    });
  });

  it('gives the rule target a DLQ and a bounded retry policy', () => {
    pipeline().hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('sends failed trigger invocations to the same DLQ after two retries', () => {
    pipeline().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } } },
    });
  });

  it('encrypts every DLQ with the stage key (#13 item 6), keeps messages 14 days and refuses non-TLS access', () => {
    const queues = Object.values(pipeline().findResources('AWS::SQS::Queue')) as any[];
    expect(queues).toHaveLength(4);
    for (const q of queues) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::ImportValue': expect.stringMatching(/KeyArn|key/i) });
      expect(q.Properties.SqsManagedSseEnabled).toBeUndefined();
      expect(q.Properties.MessageRetentionPeriod).toBe(1209600);
    }
    pipeline().hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('pipeline stack: no silent failures, retention (#13 items 6 and 7)', () => {
  it('retries Lambda throttling (TooManyRequestsException) with the service errors, in one retrier, in every Lambda task of every workflow', () => {
    const lambdaTasks = stateMachines(pipeline()).flatMap((m) =>
      Object.entries(m.definition.States as Record<string, any>).filter(([, st]) => st.Type === 'Task' && /:lambda:/.test(JSON.stringify(st.Resource))),
    );
    expect(lambdaTasks.length).toBeGreaterThan(10);
    for (const [name, st] of lambdaTasks) {
      const lambdaRetriers = st.Retry.filter((r: any) => r.ErrorEquals.some((e: string) => e.startsWith('Lambda.')));
      expect(lambdaRetriers, name).toEqual([
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
          BackoffRate: 2,
          MaxAttempts: 6,
        }),
      ]);
    }
  });

  it('reserves concurrency for the trigger, sized for a drop of dataset.maxObjects files', () => {
    const fn = (t: ReturnType<typeof pipeline>) =>
      (Object.values(t.findResources('AWS::Lambda::Function')) as any[]).find((f) => f.Properties.FunctionName?.endsWith('-dataset-trigger'));
    expect(fn(pipeline()).Properties.ReservedConcurrentExecutions).toBe(5);
    expect([1, 200, 201, 2000, 2001].map(triggerConcurrency)).toEqual([2, 2, 2, 10, 10]);
    const base = s.config.pipelines[0]!;
    const big = synthPlatform({ pipelines: [{ ...base, dataset: { ...base.dataset, maxObjects: 10000 } }] });
    expect(fn(big.template(big.stages.get('dev')!.pipelines[0]!)).Properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('keeps log groups on stack deletion when the stage retains data, like the buckets, and deletes them when it does not', () => {
    const policies = (t: ReturnType<typeof pipeline>) => [...new Set(Object.values(t.findResources('AWS::Logs::LogGroup')).map((g: any) => g.DeletionPolicy))];
    expect(policies(pipeline())).toEqual(['Retain']);
    const gone = synthPlatform({ stages: [{ name: 'dev', retainData: false }] });
    expect(policies(gone.template(gone.stages.get('dev')!.pipelines[0]!))).toEqual(['Delete']);
  });
});

describe('pipeline stack: functions and roles', () => {
  it('runs every platform function on Node.js 24 with tracing and a KMS-encrypted log group kept a year (CT.CLOUDWATCH.PR.2, CT.CLOUDWATCH.PR.3)', () => {
    const fns = Object.values(pipeline().findResources('AWS::Lambda::Function')).filter((f: any) => f.Properties.FunctionName);
    expect(fns.map((f: any) => f.Properties.FunctionName).sort()).toEqual([
      'mlops-dev-breast-cancer-dataset-trigger',
      'mlops-dev-breast-cancer-deployment',
      'mlops-dev-breast-cancer-drift-check',
      'mlops-dev-breast-cancer-endpoint-cleanup',
      'mlops-dev-breast-cancer-model-approval',
      'mlops-dev-breast-cancer-notify',
      'mlops-dev-breast-cancer-quality-gate',
      'mlops-dev-breast-cancer-retrain',
      'mlops-dev-breast-cancer-validate-dataset',
    ]);
    for (const f of fns as any[]) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', TracingConfig: { Mode: 'Active' }, Architectures: ['arm64'] });
    }
    const groups = Object.values(pipeline().findResources('AWS::Logs::LogGroup')) as any[];
    // 9 functions, 3 state machines, and CDK's ml-code copy function (its log group is the platform's too).
    expect(groups).toHaveLength(13);
    expect(groups.map((g) => g.Properties.LogGroupName)).toContain('/aws/lambda/mlops-dev-breast-cancer-ml-code-deployment');
    for (const g of groups) expect(g.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: { 'Fn::ImportValue': 'mlops-dev-DataKeyArn' } });
  });

  it("attaches no AWS managed policy to the platform's own roles", () => {
    const roles = pipeline().findResources('AWS::IAM::Role');
    const own = Object.entries(roles).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
    expect(own.length).toBeGreaterThanOrEqual(6);
    for (const [, r] of own as [string, any][]) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("ships ml/ with a copy role that reads CDK's asset and writes only this code version's prefix, never deletes (#13 item 1)", () => {
    const copy = policyStatements().filter((st) => JSON.stringify(st.policy.Properties.Roles).includes('MlCodeRole'));
    expect(copy.flatMap((st) => [st.Action].flat()).sort()).toEqual(
      [
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ].sort(),
    );
    const writes = copy.find((st) => [st.Action].flat().includes('s3:PutObject'))!;
    expect(JSON.stringify(writes.Resource)).toMatch(/artifacts-.*\/breast-cancer\/code\/[0-9a-f]{12}\/\*"/);
    const handlers = Object.values(pipeline().findResources('AWS::Lambda::Function')).filter((f: any) => !f.Properties.FunctionName) as any[];
    expect(handlers.map((f) => JSON.stringify(f.Properties.Role))).toEqual([expect.stringContaining('MlCodeRole')]);
    // CDK's own role for the copy function (with read-write-delete on the whole bucket) is gone.
    expect(Object.keys(pipeline().findResources('AWS::IAM::Role')).filter((id) => id.startsWith('CustomCDKBucketDeployment'))).toEqual([]);
  });

  it('lets SageMaker assume the execution role only on behalf of this account', () => {
    pipeline().hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  it('scopes every S3 object permission of platform roles to the pipeline prefix', () => {
    const s3 = policyStatements().filter((st) =>
      [st.Action].flat().some((a: string) => a.startsWith('s3:') && !['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads'].includes(a)),
    );
    // The ml/ copy role also reads CDK's bootstrap asset bucket (its test is below).
    const own = s3.filter((st) => !JSON.stringify(st.Resource).includes('cdk-hnb659fds-assets-'));
    expect(own.length).toBeGreaterThan(4);
    for (const st of own) {
      for (const r of [st.Resource].flat())
        expect(JSON.stringify(r)).toMatch(
          /\/(quarantine\/)?breast-cancer\/((runs\/|runs\/\*\/data\/input\/|datacapture\/|monitoring\/|datasets\/|code\/[0-9a-f]{12}\/)?\*|datasets\/\*\/listed\.json|runs\/\*\/model\/mlops-dev-breast-cancer--\*\/output\/model\.tar\.gz)"/,
        );
    }
  });

  it('lets the three state machines pass only the SageMaker role, and only to SageMaker', () => {
    const pass = policyStatements().filter((st) => st.Action === 'iam:PassRole');
    expect(pass.map((st) => JSON.stringify(st.policy.Properties.Roles)).sort()).toEqual([
      expect.stringContaining('DriftCheckStateMachineRole'),
      expect.stringContaining('ModelDeploymentWorkflowStateMachineRole'),
      expect.stringContaining('TrainingWorkflowStateMachineRole'),
    ]);
    // Jobs run as the jobs role; the served model as its own role (#13 item 2).
    for (const st of pass) {
      const role = JSON.stringify(st.policy.Properties.Roles).includes('ModelDeployment') ? /^SageMakerModelRole/ : /^SageMakerExecutionRole/;
      expect(st).toMatchObject({
        Resource: { 'Fn::GetAtt': [expect.stringMatching(role), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      });
    }
  });

  it("limits SageMaker job permissions to this pipeline's job-name prefix", () => {
    const jobs = policyStatements().filter((st) => [st.Action].flat().some((a: string) => /sagemaker:(Create|Describe|Stop)(Processing|Training)Job/.test(a)));
    expect(jobs).toHaveLength(3);
    for (const st of jobs) expect(JSON.stringify(st.Resource)).toMatch(/(processing|training)-job\/mlops-dev-breast-cancer--\*"/);
  });

  it('allows the .sync integrations to manage their EventBridge rules', () => {
    const rules = policyStatements().find((st) => [st.Action].flat().includes('events:PutTargets'));
    expect(JSON.stringify(rules.Resource)).toContain('rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule');
    expect(JSON.stringify(rules.Resource)).toContain('rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule');
  });
});

describe('pipeline stack: training workflow', () => {
  it('logs everything to a KMS-encrypted log group and traces with X-Ray', () => {
    pipeline().hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'mlops-dev-breast-cancer-training',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    pipeline().hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/mlops-dev-breast-cancer-training' });
  });

  it('retries transient errors and catches failures on every SageMaker task', () => {
    const states = asl().States as Record<string, any>;
    const sageMakerStates = Object.entries(states).filter(([, st]) => /sagemaker:/.test(st.Resource ?? ''));
    expect(sageMakerStates.map(([n]) => n).sort()).toEqual([
      'Evaluate',
      'EvaluateDescribe',
      'Preprocess',
      'PreprocessDescribe',
      'RegisterModel',
      'Train',
      'TrainDescribe',
    ]);
    expect(states.RegisterModel.Retry[0]).toMatchObject({ ErrorEquals: SAGEMAKER_TRANSIENT_ERRORS, BackoffRate: 2, MaxAttempts: 5, JitterStrategy: 'FULL' });
    expect(states.RegisterModel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyRunFailed' }]);
    for (const job of ['Preprocess', 'Train', 'Evaluate']) {
      // A job's create call retries in place only errors that prove nothing was made; the rest are checked by name first.
      expect(states[job].Retry.flatMap((r: any) => r.ErrorEquals)).not.toContain('SageMaker.AmazonSageMakerException');
      expect(states[job].Retry[0].ErrorEquals).toEqual(SAGEMAKER_THROTTLING_ERRORS);
      expect(states[job].Retry[1].ErrorEquals).toContain('SageMaker.ResourceLimitExceededException');
      expect(states[job].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${job}Describe` }]);
      expect(states[`${job}Describe`].Parameters).toEqual({
        [`${job === 'Train' ? 'TrainingJobName' : 'ProcessingJobName'}.$`]:
          states[job].Parameters[`${job === 'Train' ? 'TrainingJobName' : 'ProcessingJobName'}.$`],
      });
    }
  });

  it('encrypts job volumes and outputs with the data key and isolates the containers from the network', () => {
    const states = asl().States;
    for (const name of ['Preprocess', 'Evaluate']) {
      const p = states[name].Parameters;
      expect(p.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toContain('mlops-dev-DataKeyArn');
      expect(p.ProcessingOutputConfig.KmsKeyId).toContain('mlops-dev-DataKeyArn');
      expect(p.NetworkConfig.EnableNetworkIsolation).toBe(true);
      expect(p.StoppingCondition.MaxRuntimeInSeconds).toBe(3600);
    }
    const t = states.Train.Parameters;
    expect(t).toMatchObject({ EnableNetworkIsolation: true, StoppingCondition: { MaxRuntimeInSeconds: 14400 } });
    expect(t.ResourceConfig.VolumeKmsKeyId).toContain('mlops-dev-DataKeyArn');
    expect(t.EnableManagedSpotTraining).toBeUndefined();
  });

  it('uses the built-in XGBoost 1.7-1 and SKLearn 1.2-1 images from the region mapping', () => {
    const mapping = pipeline().toJSON().Mappings.BuiltInImageAccounts;
    expect(Object.keys(mapping)).toHaveLength(29);
    expect(mapping['us-east-1']).toEqual({ account: '683313688378' });
    expect(asl().States.Train.Parameters.AlgorithmSpecification.TrainingImage).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
    expect(asl().States.Preprocess.Parameters.AppSpecification.ImageUri).toBe(
      '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
    );
  });

  it('refuses, at deploy time, a region without the images when the stage names none', () => {
    const rules = pipeline().toJSON().Rules;
    expect(rules.SupportedRegion.Assertions[0].Assert['Fn::Contains'][0]).not.toContain('ca-west-1');
    expect(rules.SupportedRegion.Assertions[0].Assert['Fn::Contains'][0]).toContain('eu-west-1');
  });

  it('registers models as PendingManualApproval with metrics and lineage', () => {
    const p = asl().States.RegisterModel.Parameters;
    expect(p).toMatchObject({ ModelPackageGroupName: 'mlops-dev-breast-cancer', ModelApprovalStatus: 'PendingManualApproval' });
    expect(Object.keys(p.CustomerMetadataProperties).sort()).toEqual(
      [
        'code-version',
        'dataset-sha256.$',
        'dataset-snapshot.$',
        'dataset.$',
        'execution.$',
        'lineage.$',
        'metric:auc.$',
        'model-sha256.$',
        'training-job.$',
      ].sort(),
    );
    pipeline().hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'mlops-dev-breast-cancer' });
  });

  it('matches the normalized snapshot, with these resources by type', () => {
    const json = normalizeTemplate(pipeline().toJSON());
    const types: Record<string, number> = {};
    for (const r of Object.values(json.Resources) as any[]) types[r.Type] = (types[r.Type] ?? 0) + 1;
    expect(types).toEqual({
      // The scheduler role of the hourly drift recheck, and the served model's own role (#13 item 2), count in both.
      'AWS::IAM::Role': 17,
      'AWS::IAM::Policy': 17,
      'AWS::Lambda::Function': 10,
      'AWS::Logs::LogGroup': 13,
      'AWS::Lambda::LayerVersion': 1,
      'Custom::CDKBucketDeployment': 1,
      'Custom::RuntimeResources': 1,
      'AWS::SageMaker::ModelPackageGroup': 1,
      'AWS::StepFunctions::StateMachine': 3,
      'AWS::SQS::Queue': 4,
      'AWS::SQS::QueuePolicy': 4,
      'AWS::Lambda::EventInvokeConfig': 4,
      'AWS::Events::Rule': 4,
      'AWS::Lambda::Permission': 4,
      'AWS::CloudWatch::Alarm': 9,
      'AWS::SSM::Parameter': 1,
      'AWS::CloudWatch::Dashboard': 1,
      // The drift check's, and the retraining's hourly drift recheck.
      'AWS::Scheduler::Schedule': 2,
    });
    expect(json).toMatchSnapshot();
  });
});

describe('pipeline stack: configuration variants', () => {
  it('trains on spot with checkpoints and a max wait when spot is enabled', () => {
    const v = synthPlatform({
      pipelines: [{ ...s.config.pipelines[0], training: { ...s.config.pipelines[0]!.training, spot: { enabled: true, maxWaitSeconds: 20000 } } }],
    });
    const t = stateMachines(v.template(v.stages.get('dev')!.pipelines[0]!))[0]!.definition.States.Train.Parameters;
    expect(t).toMatchObject({
      EnableManagedSpotTraining: true,
      CheckpointConfig: { 'S3Uri.$': '$.validation.paths.checkpoints' },
      StoppingCondition: { MaxWaitTimeInSeconds: 20000 },
    });
  });

  it('shards training data and encrypts inter-node traffic with several instances; omits the volume key on NVMe types', () => {
    const base = s.config.pipelines[0]!;
    const v = synthPlatform({ pipelines: [{ ...base, training: { ...base.training, instanceCount: 3, instanceType: 'ml.r5d.2xlarge' } }] });
    const t = stateMachines(v.template(v.stages.get('dev')!.pipelines[0]!))[0]!.definition.States.Train.Parameters;
    expect(t.InputDataConfig[0].DataSource.S3DataSource.S3DataDistributionType).toBe('ShardedByS3Key');
    expect(t.InputDataConfig[1].DataSource.S3DataSource.S3DataDistributionType).toBe('FullyReplicated');
    expect(t.EnableInterContainerTrafficEncryption).toBe(true);
    expect(t.ResourceConfig).toEqual({ InstanceCount: 3, InstanceType: 'ml.r5d.2xlarge', VolumeSizeInGB: 30 });
  });

  it('uses a custom training image and may pull only from its repository', () => {
    const base = s.config.pipelines[0]!;
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/xgb-custom:2.0';
    const v = synthPlatform({ pipelines: [{ ...base, training: { ...base.training, image } }] });
    const tpl = v.template(v.stages.get('dev')!.pipelines[0]!);
    expect(stateMachines(tpl)[0]!.definition.States.Train.Parameters.AlgorithmSpecification.TrainingImage).toBe(image);
    expect(JSON.stringify(tpl.findResources('AWS::IAM::Policy'))).toContain(':ecr:eu-west-1:123456789012:repository/team/xgb-custom');
  });

  it('registers models as Approved in an auto-approving stage', () => {
    const v = synthPlatform({ stages: [{ name: 'dev', autoApprove: true }] });
    expect(stateMachines(v.template(v.stages.get('dev')!.pipelines[0]!))[0]!.definition.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('Approved');
  });
});
