import { Stack } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DETAIL_TYPES, lifecycleSource } from '../../lambdas/shared/lifecycle';
import { eventBusName, forwardingRoleName, promotionRoleName, resourcePrefix } from '../config/naming';
import { deployedRoleArn } from '../config/organization';
import type { PlatformConfig, StageConfig } from '../config/schema';
import { deadLetterAlarm, deadLetterQueue } from './dead-letter-queue';
import { PROMOTED_OBJECTS, sourceObjectsContext } from './model-promotion';

/**
 * The grants between a source stage and the stages that promote its models (`promoteFrom`),
 * each naming the other side's role by aws:PrincipalArn under that account's root principal: a
 * policy that named a role ARN outright would fail to deploy while the role does not exist yet
 * (the stages deploy in either order), and the condition still admits that one role only.
 */
export const promotersOf = (config: PlatformConfig, stage: StageConfig): StageConfig[] => config.stages.filter((s) => s.promoteFrom === stage.name);

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, _d, c: string) => c.toUpperCase());

function onlyRole(scope: Construct, config: PlatformConfig, account: string | undefined, roleName: string) {
  const { partition, account: here } = Stack.of(scope);
  const acct = account ?? here;
  return {
    principal: new iam.AccountPrincipal(acct),
    root: `arn:${partition}:iam::${acct}:root`,
    // The role as deployed: the organization's path and name prefix included (iam.rolePath, iam.roleNamePrefix).
    condition: { ArnEquals: { 'aws:PrincipalArn': deployedRoleArn(config.iam, partition, acct, roleName) } },
  };
}

/** The model package group's resource policy: each promoting stage's promotion role may describe the group's versions. */
export function promotionReaders(config: PlatformConfig, stage: StageConfig, pipeline: string, scope: Construct): { modelPackageGroupPolicy?: object } {
  const readers = promotersOf(config, stage);
  if (readers.length === 0) return {};
  const { partition, region, account } = Stack.of(scope);
  const prefix = resourcePrefix(config.project, stage.name, pipeline);
  return {
    modelPackageGroupPolicy: {
      Version: '2012-10-17',
      Statement: readers.map((t) => {
        const role = onlyRole(scope, config, t.account, promotionRoleName(config.project, t.name, pipeline));
        return {
          Sid: `PromotionTo${pascal(t.name)}`,
          Effect: 'Allow',
          Principal: { AWS: role.root },
          Action: ['sagemaker:DescribeModelPackage'],
          Resource: `arn:${partition}:sagemaker:${region}:${account}:model-package/${prefix}/*`,
          Condition: role.condition,
        };
      }),
    },
  };
}

/**
 * In the source stage's data stack: each promoting stage's promotion roles may read the model
 * artifacts, lineage and baselines of the runs (bucket policy) and decrypt them through S3 for
 * that bucket only (key policy); Model Live events are forwarded to the promoting stage's bus, as
 * a role of this stage that may put them there and nowhere else (failed deliveries: a DLQ).
 */
export function grantPromoters(
  scope: Construct,
  config: PlatformConfig,
  stage: StageConfig,
  stack: { artifacts: s3.Bucket; artifactsName: string; key: kms.Key; bus: events.IEventBus; topic: sns.ITopic },
): void {
  const { artifacts, artifactsName, key, bus } = stack;
  const promoters = promotersOf(config, stage);
  if (promoters.length === 0) return;
  const { partition, region } = Stack.of(scope);
  const dlq = deadLetterQueue(scope, 'ForwardingDeadLetterQueue', {
    name: `${config.project}-${stage.name}-forwarding-dlq`,
    key,
    of: 'the forwarding of Model Live events to the stages that promote this one',
  });
  deadLetterAlarm(
    scope,
    'ForwardingDeadLetterAlarm',
    dlq,
    `Model Live events of ${stage.name} that could not be forwarded to a promoting stage (the event is in each message: fix the cause, then send it again to that stage's bus)`,
  ).addAlarmAction(new actions.SnsAction(stack.topic));
  for (const t of promoters) {
    for (const pipeline of config.pipelines.map((p) => p.name)) {
      const role = onlyRole(scope, config, t.account, promotionRoleName(config.project, t.name, pipeline));
      const sourcePrefix = resourcePrefix(config.project, stage.name, pipeline);
      artifacts.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Promote${pascal(pipeline)}To${pascal(t.name)}`,
          principals: [role.principal],
          actions: ['s3:GetObject'],
          resources: PROMOTED_OBJECTS(pipeline, sourcePrefix).map((o) => artifacts.arnForObjects(o)),
          conditions: role.condition,
        }),
      );
      artifacts.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `List${pascal(pipeline)}RunsFor${pascal(t.name)}`,
          principals: [role.principal],
          actions: ['s3:ListBucket'],
          resources: [artifacts.bucketArn],
          conditions: { ...role.condition, StringLike: { 's3:prefix': [`${pipeline}/runs/*`] } },
        }),
      );
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Decrypt${pascal(pipeline)}RunsFor${pascal(t.name)}`,
          principals: [role.principal],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: {
            ...role.condition,
            StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
            // The bucket ARN from its name: a reference to the bucket would make the key and the bucket depend on each other.
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': sourceObjectsContext(`arn:${partition}:s3:::${artifactsName}`, pipeline) },
          },
        }),
      );
    }
    const target = events.EventBus.fromEventBusArn(
      scope,
      `${pascal(t.name)}Bus`,
      `arn:${partition}:events:${region}:${t.account ?? Stack.of(scope).account}:event-bus/${eventBusName(config.project, t.name)}`,
    );
    const forwarder = new iam.Role(scope, `ForwardTo${pascal(t.name)}Role`, {
      roleName: forwardingRoleName(config.project, stage.name, t.name),
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Forwards Model Live events of ${config.project}-${stage.name} to stage ${t.name}, which promotes them`,
    });
    new events.Rule(scope, `ForwardTo${pascal(t.name)}`, {
      description: `Models live in ${stage.name} → the bus of stage ${t.name} (promoteFrom)`,
      eventBus: bus,
      eventPattern: { source: [lifecycleSource(config.project)], detailType: [DETAIL_TYPES.deployed], detail: { stage: [stage.name] } },
      targets: [new targets.EventBus(target, { role: forwarder, deadLetterQueue: dlq })],
    });
  }
}

/** In a promoting stage's data stack: the source stage's forwarding role may put its Model Live events on this stage's bus. */
export function admitForwarding(scope: Construct, config: PlatformConfig, stage: StageConfig, bus: events.EventBus): void {
  if (!stage.promoteFrom) return;
  const source = config.stages.find((s) => s.name === stage.promoteFrom)!;
  const role = onlyRole(scope, config, source.account, forwardingRoleName(config.project, source.name, stage.name));
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `ModelLiveFrom${pascal(source.name)}`,
      principals: [role.principal],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      // events:source and events:detail-type are multivalued (ArrayOfString in the service authorization reference: one value per
      // PutEvents entry), and IAM matches a multivalued key with a set operator: every entry must be a Model Live of this project
      // (ForAllValues, as the EventBridge guide's "Send events to a custom bus in a different account" example does for
      // events:source), and the Null check refuses a request without the keys (ForAllValues alone would admit it).
      conditions: {
        ...role.condition,
        'ForAllValues:StringEquals': { 'events:source': [lifecycleSource(config.project)], 'events:detail-type': [DETAIL_TYPES.deployed] },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
      },
    }),
  );
}
