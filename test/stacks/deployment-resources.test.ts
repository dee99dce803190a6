import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLLBACK_MARK } from '../../lambdas/model-approval/logic';
import { PRODUCTION_VARIANT } from '../../lambdas/shared/names';
import { DEFAULT_CONFIG } from '../../lib/config/defaults';
import { rejectPackage } from '../../lib/constructs/deployment-requests';
import { stateMachines } from '../../offline/cfn';
import { synthPlatform } from '../../offline/synth';

/** Template assertions for the approval gate and the deployment (see test/workflows for its runs). */
let t: Template;
const statementsOf = (roleLogicalIdPrefix: string) =>
  Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
const flat = (x: unknown) => JSON.stringify(x);

beforeAll(() => {
  const s = synthPlatform();
  t = s.template(s.stages.get('dev')!.pipelines[0]!);
});

describe('approval gate', () => {
  it("routes Approved and Rejected decisions on this pipeline's model package group only", () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: ['mlops-dev-breast-cancer'], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ModelDeploymentApprovalFunction'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
  });

  it("lets the approval Lambda start only the deployment workflow and announce only on the stage's bus, with the project's source", () => {
    const st = statementsOf('ModelDeploymentApprovalFunction');
    expect(st.find((s: any) => s.Action === 'states:StartExecution').Resource).toEqual({ Ref: expect.stringMatching(/^ModelDeploymentWorkflowStateMachine/) });
    const put = st.find((s: any) => s.Action === 'events:PutEvents');
    expect(flat(put.Resource)).toContain(':event-bus/mlops-dev-lifecycle');
    expect(put.Condition).toEqual({ 'ForAllValues:StringEquals': { 'events:source': ['mlops.mlops'] }, Null: { 'events:source': 'false' } });
    expect(st.some((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sns:')))).toBe(false);
  });
});

describe('deployment workflow permissions', () => {
  const sm = () => statementsOf('ModelDeploymentWorkflowStateMachineRole');

  it('creates and changes only models, configs and the endpoint named after the pipeline', () => {
    const sageMaker = sm().filter((s: any) =>
      [s.Action].flat().some((a: string) => /^sagemaker:(Create|Update|Describe)(Model|EndpointConfig|Endpoint)$/.test(a)),
    );
    expect(sageMaker.length).toBeGreaterThanOrEqual(4);
    for (const s of sageMaker) {
      for (const r of [s.Resource].flat())
        expect(flat(r)).toMatch(/:(model|endpoint-config)\/mlops-dev-breast-cancer--\*"|:endpoint\/mlops-dev-breast-cancer"/);
    }
  });

  it("passes only the served model's role, and only to SageMaker", () => {
    const pass = sm().filter((s: any) => s.Action === 'iam:PassRole');
    expect(pass).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SageMakerModelRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    ]);
  });

  it('may only reject or tag packages of its own group', () => {
    const pkg = sm().find((s: any) => [s.Action].flat().includes('sagemaker:UpdateModelPackage'));
    expect(flat(pkg.Resource)).toMatch(/:model-package\/mlops-dev-breast-cancer\/\*"/);
  });

  it("changes only scalable targets tagged as this pipeline's (or not tagged yet), and tags only with its tags (#13 item 3)", () => {
    const own = (k: string) => ({
      [`aws:${k}/mlops:project`]: 'mlops',
      [`aws:${k}/mlops:stage`]: 'dev',
      [`aws:${k}/mlops:pipeline`]: 'breast-cancer',
    });
    const scaling = [...sm(), ...statementsOf('ModelDeploymentCleanupFunction')].filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith('application-autoscaling:')),
    );
    const scalingActions = (s: any) => [s.Action].flat().filter((a: string) => a.startsWith('application-autoscaling:'));
    const changing = scaling.filter((s: any) => scalingActions(s).some((a: string) => a !== 'application-autoscaling:DescribeScalableTargets'));
    expect(changing).toHaveLength(4);
    for (const s of changing) {
      expect(flat(s.Resource)).toMatch(/:application-autoscaling:.*:scalable-target\/\*"/);
      expect(s.Condition.StringEqualsIfExists).toEqual(own('ResourceTag'));
    }
    const tagging = changing.find((s: any) => [s.Action].flat().includes('application-autoscaling:TagResource'));
    expect(tagging.Condition.StringEquals).toEqual(own('RequestTag'));
    const registering = changing.find((s: any) => [s.Action].flat().includes('application-autoscaling:RegisterScalableTarget'));
    expect(registering.Condition.StringEquals).toEqual({
      ...own('RequestTag'),
      'application-autoscaling:service-namespace': 'sagemaker',
      'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
    });
    expect(tagging.Condition['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['mlops:project', 'mlops:stage', 'mlops:pipeline'] });
    expect(scaling.filter((s: any) => s.Resource === '*').flatMap(scalingActions)).toEqual(['application-autoscaling:DescribeScalableTargets']);
  });

  it('creates the auto-scaling service-linked role only for SageMaker endpoints', () => {
    const slr = sm().find((s: any) => s.Action === 'iam:CreateServiceLinkedRole');
    expect(slr.Condition).toEqual({ StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } });
    expect(flat(slr.Resource)).toContain(
      'role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    );
  });

  it('retries throttling on every SageMaker and auto-scaling call and catches every failure into the notification', () => {
    const def = stateMachines(t).find((m) => m.logicalId.startsWith('ModelDeploymentWorkflow'))!.definition;
    const sdk = Object.entries(def.States as Record<string, any>).filter(([, s]) => s.Type === 'Task' && String(s.Resource).includes(':aws-sdk:'));
    expect(sdk.length).toBeGreaterThan(15);
    for (const [name, s] of sdk) {
      const throttling = String(s.Resource).includes(':applicationautoscaling:')
        ? 'ApplicationAutoScaling.ThrottlingException'
        : 'SageMaker.ThrottlingException';
      expect(
        s.Retry.flatMap((r: any) => r.ErrorEquals),
        name,
      ).toEqual(expect.arrayContaining([throttling, 'ThrottlingException']));
      // Before the first endpoint change a failure is notified; after it, production is recovered first; a failed
      // recovery is notified as such; marking the live version comes after the model is live, so its failure goes on to the success e-mail.
      const mark = /^(MarkLive|UnmarkReplaced)(\w+)$/.exec(name);
      const expected = mark
        ? `Notify${mark[2]}`
        : BEFORE_ENDPOINT_CHANGE.includes(name)
          ? 'NotifyDeploymentFailed'
          : AFTER_CREATE_ENDPOINT.includes(name)
            ? 'DeleteCreatedEndpoint'
            : name === 'DeleteCreatedEndpoint'
              ? 'NotifyCreatedNotDeleted'
              : /^(CreateRecoverConfig|PauseScalingToRecover|RecoverProduction|DescribeRecovered|Recovered|Checked)/.test(name)
                ? 'NotifyRecoveryFailed'
                : 'RecoverCheck';
      // A create call first asks whether an earlier attempt created the resource ("already existing" = done), then fails as the others.
      const next = s.Catch.find((c: any) => c.ErrorEquals.includes('States.ALL'))?.Next;
      const route = next === `${name}AlreadyExists?` ? def.States[next].Default : next;
      expect(route, name).toBe(expected);
      if (/^Create(Model|EndpointConfig|Endpoint|ShadowConfig|PromotionConfig|RestoreConfig|RecoverConfig)$/.test(name))
        expect(next, name).toBe(`${name}AlreadyExists?`);
    }
    // Quota waits only on calls whose API reference lists ResourceLimitExceeded (the SDK's generated command docs).
    for (const [name, s] of sdk.filter(([, s]) => String(s.Resource).includes(':aws-sdk:sagemaker:'))) {
      const operation = String(s.Resource).split(':').pop()!;
      const docs = readFileSync(
        require.resolve(`@aws-sdk/client-sagemaker/dist-types/commands/${operation[0]!.toUpperCase()}${operation.slice(1)}Command.d.ts`),
        'utf8',
      );
      const waits = s.Retry.some((r: any) => r.ErrorEquals.includes('SageMaker.ResourceLimitExceededException'));
      expect(waits, `${name} (${operation})`).toBe(docs.includes('ResourceLimitExceeded'));
    }
    const scaling = sdk.filter(([, s]) => String(s.Resource).includes(':applicationautoscaling:'));
    expect(scaling.length).toBeGreaterThanOrEqual(3);
    for (const [name, s] of scaling) {
      expect(
        s.Retry.flatMap((r: any) => r.ErrorEquals),
        name,
      ).toEqual(expect.arrayContaining(['ApplicationAutoScaling.ConcurrentUpdateException', 'ApplicationAutoScaling.InternalServiceException']));
    }
    expect(def.States.Plan.Retry).toContainEqual({ ErrorEquals: ['EndpointBusyError'], IntervalSeconds: 60, MaxAttempts: 60, BackoffRate: 1 });
  });
});

describe('auto-rollback alarms and clean-up', () => {
  it('alarms on 5XX errors and p99 model latency (microseconds) of the production variant', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mlops-dev-breast-cancer-primary-5xx',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [
        { Name: 'EndpointName', Value: 'mlops-dev-breast-cancer' },
        { Name: 'VariantName', Value: 'primary' },
      ],
      Statistic: 'Sum',
      Threshold: 5,
      TreatMissingData: 'notBreaching',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mlops-dev-breast-cancer-primary-p99-latency',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000_000,
    });
  });

  it('deletes runtime resources with the stack by default, and keeps them when configured', () => {
    t.hasResourceProperties('Custom::RuntimeResources', { EndpointName: 'mlops-dev-breast-cancer', NamePrefix: 'mlops-dev-breast-cancer--', Retain: 'false' });
    const s = synthPlatform({ pipelines: [{ ...DEFAULT_CONFIG.pipelines[0], deployment: { retainOnDelete: true } }] });
    s.template(s.stages.get('dev')!.pipelines[0]!).hasResourceProperties('Custom::RuntimeResources', { Retain: 'true' });
  });

  it("lets the clean-up delete only this pipeline's endpoint, configs and models", () => {
    const del = statementsOf('ModelDeploymentCleanupFunction').filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sagemaker:Delete')));
    expect(del.map((s: any) => flat(s.Resource)).join(' ')).not.toMatch(/"\*"/);
    for (const s of del) expect(flat(s.Resource)).toContain('mlops-dev-breast-cancer');
  });

  it("lets endpoints write (model role) and the drift check read (jobs role) data capture only under the pipeline's capture prefix", () => {
    const capture = (role: string) => statementsOf(role).filter((s: any) => flat(s.Resource).includes('capture'));
    expect(capture('SageMakerModelRole').map((s: any) => s.Action)).toEqual(['s3:PutObject']);
    // The jobs' role keeps PutObject for one release: models created before the model role still run as it.
    expect(capture('SageMakerExecutionRole').map((s: any) => [s.Action].flat().sort())).toEqual([['s3:GetObject', 's3:PutObject']]);
    for (const s of [...capture('SageMakerModelRole'), ...capture('SageMakerExecutionRole')]) {
      expect(flat(s.Resource)).toContain('mlops-dev-capture-');
      expect(flat(s.Resource)).toContain('/breast-cancer/datacapture/*');
    }
  });

  it('separates the served model from the jobs (#13 item 2): it reads only model artifacts; no job can write code, the dataset ledger or anything outside runs and monitoring', () => {
    const s3Actions = (role: string) =>
      statementsOf(role)
        .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('s3:')))
        .map((s: any) => ({ actions: [s.Action].flat().sort(), on: flat(s.Resource).match(/-(landing|artifacts|capture)-|\/breast-cancer\/[^"]*"/g) }));
    expect(s3Actions('SageMakerModelRole')).toEqual([
      { actions: ['s3:GetObject'], on: ['-artifacts-', '/breast-cancer/runs/*/model/mlops-dev-breast-cancer--*/output/model.tar.gz"'] },
      { actions: ['s3:PutObject'], on: ['-capture-', '/breast-cancer/datacapture/*"'] },
    ]);
    const writes = statementsOf('SageMakerExecutionRole').filter((s: any) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes.flatMap((s: any) => flat(s.Resource).match(/-(artifacts|capture)-|\/breast-cancer\/[^"]*"/g)).sort()).toEqual(
      // Artifacts: runs and monitoring only; capture: transitional (see above).
      ['-artifacts-', '-artifacts-', '-capture-', '/breast-cancer/datacapture/*"', '/breast-cancer/monitoring/*"', '/breast-cancer/runs/*"'].sort(),
    );
  });
});

/** The states that run before the workflow first changes an endpoint that serves production. */
const BEFORE_ENDPOINT_CHANGE = ['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint'];
/** A first deployment after CreateEndpoint: the endpoint it made is deleted (no production before it). */
const AFTER_CREATE_ENDPOINT = ['DescribeCreated', 'CreatedRegisterScaling', 'CreatedScalingPolicy'];

describe('contracts between the stack and the Lambdas', () => {
  it('names the production variant in the rollback alarms with the literal the Lambdas use (blue/green needs it to stay)', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[];
    const variants = alarms.flatMap((a) => (a.Properties.Dimensions ?? []).filter((d: any) => d.Name === 'VariantName').map((d: any) => d.Value));
    expect(variants.length).toBeGreaterThanOrEqual(2);
    expect(new Set(variants)).toEqual(new Set([PRODUCTION_VARIANT]));
  });

  it("marks the workflow's own rejections the way the approval Lambda recognizes them", () => {
    expect(rejectPackage()['ApprovalDescription.$']).toContain(`'${ROLLBACK_MARK}: {}'`);
  });
});
