import { describe, expect, it } from 'vitest';
import { LocalCloud } from '../../offline/local-cloud';
import { offlineMachine, taskNeeds } from '../../offline/iam/tasks';
import { ScalableTargets } from '../../offline/scalable-targets';
import { synthPlatform } from '../../offline/synth';
import { pipelineSpec } from '../../lib/constructs/ml-code';
import { breastCancerCsv } from '../helpers/fixtures';
import { metricsNamespace } from '../../lambdas/shared/names';

/**
 * The enforcement can fail: a documented sample of grants the story uses, each removed, fails the
 * request as AWS would, with AccessDenied naming principal, action and resource, and the
 * workflow's own Catch/notify path runs. (story.test.ts removes every exercised statement in turn
 * at the decision level.)
 */
function cloud(): LocalCloud {
  const s = synthPlatform();
  const stage = s.stages.get('dev')!;
  return new LocalCloud(s.account(stage), stage.pipelines[0]!.stackName, pipelineSpec(s.config.pipelines[0]!), () => {});
}

/** Removes the statement of `roleLogicalId`'s identity policies that grants `action`. */
function revoke(c: LocalCloud, roleLogicalId: RegExp, action: string): string {
  const role = [...c.account.roles.values()].find((r) => roleLogicalId.test(r.logicalId))!;
  for (const p of role.policies) {
    const statements = [p.document.Statement].flat() as { Action: string | string[] }[];
    const i = statements.findIndex((st) => [st.Action].flat().includes(action));
    if (i >= 0) {
      c.authorizer.removeStatement(role.arn, p.name, i);
      return role.arn;
    }
  }
  throw new Error(`${role.logicalId} has no statement granting ${action}`);
}

const dropDataset = async (c: LocalCloud) => {
  await c.dropFiles(c.env['dataset-trigger']!.LANDING_BUCKET!, { 'breast-cancer/d1/data.csv': breastCancerCsv() });
  await c.drain();
};

describe('offline authorization, with a grant removed', () => {
  it('fails dataset validation with AccessDenied when the validation Lambda may not list the landing bucket, and e-mails the failure', async () => {
    const c = cloud();
    const role = revoke(c, /^ValidateFunctionRole/, 's3:ListBucketVersions');
    await dropDataset(c);
    const run = c.executions[0]!;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(
      `AccessDenied: User: ${role} is not authorized to perform: s3:ListBucketVersions on resource: arn:aws:s3:::mlops-dev-landing-111122223333-eu-west-1 because no identity-based policy allows the action`,
    );
    expect(c.notifications.map((n) => n.subject)).toEqual(['[mlops-dev] breast-cancer: training run failed (AccessDenied)']);
  });

  it('fails preprocessing when the SageMaker role may not pull the image, before any job runs', async () => {
    const c = cloud();
    const role = revoke(c, /^SageMakerExecutionRole/, 'ecr:BatchGetImage');
    await dropDataset(c);
    expect(c.executions[0]!.error).toMatch(
      new RegExp(
        `^AccessDeniedException: User: ${role} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:\\d{12}:repository/sagemaker-scikit-learn`,
      ),
    );
    expect(c.store.keys(c.env['validate-dataset']!.ARTIFACTS_BUCKET!, 'breast-cancer/runs/').some((k) => k.includes('/preprocess/'))).toBe(false);
  });

  it('fails the Step Functions .sync integration when the workflow may not create its managed EventBridge rule', async () => {
    const c = cloud();
    revoke(c, /^TrainingWorkflowStateMachineRole/, 'events:PutRule');
    await dropDataset(c);
    expect(c.executions[0]!.error).toMatch(
      /is not authorized to perform: events:(PutTargets|PutRule) on resource: arn:aws:events:eu-west-1:111122223333:rule\/StepFunctionsGetEventsForSageMakerProcessingJobsRule/,
    );
  });

  it('records a failed alarm delivery (as the alarm history would) when the topic policy does not let CloudWatch publish', async () => {
    const c = cloud();
    const topic = c.env.notify!.TOPIC_ARN!;
    const policy = c.account.resourcePolicyFor(topic)!;
    c.authorizer.removeStatement(
      `resource:${topic}`,
      'resource',
      (policy.Statement as { Sid?: string }[]).findIndex((s) => s.Sid === 'AllowCloudWatchAlarmsToPublish'),
    );
    await c.putMetric(metricsNamespace('mlops-dev-breast-cancer'), 'DriftedFeatures', 3, 'mlops-dev-breast-cancer');
    expect(c.failedDeliveries).toEqual([
      {
        what: `alarm mlops-dev-breast-cancer-drift → ${topic}`,
        error: `User: cloudwatch.amazonaws.com is not authorized to perform: sns:Publish on resource: ${topic} because no resource-based policy allows the action`,
      },
    ]);
    expect(c.notifications.map((n) => n.subject).filter((x) => x.startsWith('ALARM'))).toEqual([]);
  });
});

describe("one pipeline cannot forge another's metrics (#13 item 5)", () => {
  it("lets the drift function publish to its own pipeline's namespace only", async () => {
    const c = cloud();
    const role = [...c.account.roles.values()].find((r) => /^DriftCheckFunctionRole/.test(r.logicalId))!;
    const publish = (namespace: string) =>
      c.authorizer.authorize({
        principal: role.arn,
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        context: { 'cloudwatch:namespace': namespace },
        via: 'test',
      });
    await expect(publish(metricsNamespace('mlops-dev-breast-cancer'))).resolves.toBeUndefined();
    await expect(publish(metricsNamespace('mlops-dev-churn'))).rejects.toThrow(/not authorized to perform: cloudwatch:PutMetricData/);
    await expect(publish('MLOps')).rejects.toThrow(/not authorized/);
  });
});

describe("the stage key serves CloudWatch only for the stage's own alarms (#13 item 4)", () => {
  it("lets an alarm named after the stage use the topic's key, and denies any other alarm, of this or another account", async () => {
    const c = cloud();
    const key = c.account.encryptionKey(c.env.notify!.TOPIC_ARN!)!;
    const use = (alarm: string, account = '111122223333') =>
      c.authorizer
        .authorize({
          principal: 'cloudwatch.amazonaws.com',
          action: 'kms:GenerateDataKey',
          resource: key,
          context: { 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${account}:alarm:${alarm}`, 'aws:SourceAccount': account },
          via: 'test',
        })
        .then(
          () => 'allowed',
          () => 'denied',
        );
    expect(await use('mlops-dev-breast-cancer-drift')).toBe('allowed');
    expect(await use('someone-elses-alarm')).toBe('denied');
    expect(await use('mlops-dev-breast-cancer-drift', '444455556666')).toBe('denied');
  });
});

describe("one pipeline cannot change another's auto-scaling (#13 item 3)", () => {
  const ID = 'endpoint/mlops-dev-breast-cancer/variant/primary';
  const OWN = { 'mlops:project': 'mlops', 'mlops:stage': 'dev', 'mlops:pipeline': 'breast-cancer' };
  const target = { ServiceNamespace: 'sagemaker', ResourceId: ID, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' };
  /** The deployment workflow's four scaling calls on a target registered with `tags` (undefined: none yet), as its role. */
  async function scalingCalls(tags: Record<string, string> | undefined) {
    const m = offlineMachine(synthPlatform().template(synthPlatform().stages.get('dev')!.pipelines[0]!), 'ModelDeploymentWorkflow');
    const scalableTargets = new ScalableTargets();
    if (tags) scalableTargets.register({ ...target, Tags: tags });
    const calls: [string, Record<string, unknown>][] = [
      ['registerScalableTarget', { ...target, MinCapacity: 1, MaxCapacity: 4, Tags: OWN }],
      ['tagResource', { ResourceARN: scalableTargets.arnOf(ID), Tags: OWN }],
      ['putScalingPolicy', { ...target, PolicyName: 'p', PolicyType: 'TargetTrackingScaling' }],
      ['deregisterScalableTarget', target],
    ];
    const outcomes: string[] = [];
    for (const [op, params] of calls) {
      const needs = taskNeeds(m.account, `arn:aws:states:::aws-sdk:applicationautoscaling:${op}`, params, { scalableTargets });
      const denied = await Promise.all(
        needs.map((n) =>
          m.authorizer.authorize({ principal: m.role, via: op, ...n }).then(
            () => false,
            () => true,
          ),
        ),
      );
      outcomes.push(`${op}: ${denied.some(Boolean) ? 'denied' : 'allowed'}`);
    }
    return outcomes;
  }

  it("allows every call on the pipeline's own target, on a new one and on an untagged one from an earlier version", async () => {
    const allowed = ['registerScalableTarget', 'tagResource', 'putScalingPolicy', 'deregisterScalableTarget'].map((op) => `${op}: allowed`);
    expect(await scalingCalls(OWN)).toEqual(allowed);
    expect(await scalingCalls({})).toEqual(allowed);
    expect((await scalingCalls(undefined)).slice(0, 1)).toEqual(allowed.slice(0, 1));
  });

  it("denies registering a scalable target of another service, even with the pipeline's tags", async () => {
    const m = offlineMachine(synthPlatform().template(synthPlatform().stages.get('dev')!.pipelines[0]!), 'ModelDeploymentWorkflow');
    const table = {
      ServiceNamespace: 'dynamodb',
      ResourceId: 'table/orders',
      ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
      MinCapacity: 1,
      MaxCapacity: 1,
      Tags: OWN,
    };
    const needs = taskNeeds(m.account, 'arn:aws:states:::aws-sdk:applicationautoscaling:registerScalableTarget', table, {
      scalableTargets: new ScalableTargets(),
    });
    await expect(Promise.all(needs.map((n) => m.authorizer.authorize({ principal: m.role, via: 'test', ...n })))).rejects.toThrow(/RegisterScalableTarget/);
  });

  it("denies every call on a target tagged as another pipeline's", async () => {
    expect(await scalingCalls({ ...OWN, 'mlops:pipeline': 'churn' })).toEqual(
      ['registerScalableTarget', 'tagResource', 'putScalingPolicy', 'deregisterScalableTarget'].map((op) => `${op}: denied`),
    );
  });
});

describe('the workflow harnesses authorize too', () => {
  it('fails a task whose grant is removed, and the harness refuses a run in which AWS would deny a request', async () => {
    const t = synthPlatform().template(synthPlatform().stages.get('dev')!.pipelines[0]!);
    const m = offlineMachine(t, 'ModelDeploymentWorkflow');
    const role = [...m.account.roles.values()].find((r) => r.arn === m.role)!;
    const policy = role.policies.find((p) =>
      [p.document.Statement].flat().some((s: { Action: string | string[] }) => [s.Action].flat().includes('sagemaker:UpdateModelPackage')),
    )!;
    m.authorizer.removeStatement(
      m.role,
      policy.name,
      [policy.document.Statement].flat().findIndex((s: { Action: string | string[] }) => [s.Action].flat().includes('sagemaker:UpdateModelPackage')),
    );
    const state = Object.entries(m.definition.States as Record<string, { Resource?: string }>).find(([, s]) => s.Resource?.endsWith(':updateModelPackage'))![0];
    const handler = m.authorized({ [state]: async () => ({}) })[state]!;
    await expect(
      handler({ ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-breast-cancer/7', ModelApprovalStatus: 'Rejected' }),
    ).rejects.toThrow(
      `User: ${m.role} is not authorized to perform: sagemaker:UpdateModelPackage on resource: arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-dev-breast-cancer/7`,
    );
    expect(() => m.assertNoDenials()).toThrow(/AWS would deny:\n {2}state \w+: sagemaker:UpdateModelPackage/);
  });
});
