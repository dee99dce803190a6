import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import * as z from 'zod';
import type { EnvValues } from '../../lambdas/shared/env';
import { DETAIL_TYPES, detailSchemas, EMAILED_KINDS, type lifecycleEnv, lifecycleSource } from '../../lambdas/shared/lifecycle';
import { eventBusName } from '../config/naming';
import { arnsOf } from './arns';
import { allow } from './scoped-policy';

/** A registry schema's name, as EventBridge names the schemas it discovers: `<source>@<DetailTypeWithoutSpaces>`. */
export const schemaName = (project: string, detailType: string): string => `${lifecycleSource(project)}@${detailType.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * The JSON Schema (draft 4, the registry's `JSONSchemaDraft4`) of one detail-type's events: the
 * EventBridge envelope with this source and detail-type, and the detail generated from the zod
 * schema the functions validate with. Tests check the events the offline lifecycle emits against it.
 */
export function eventJsonSchema(project: string, d: (typeof detailSchemas)[number]): Record<string, unknown> {
  const { $schema: _, ...detail } = z.toJSONSchema(d.schema, { target: 'draft-4', io: 'output' }) as Record<string, unknown>;
  const text = { type: 'string' };
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: d.detailType,
    description: `${d.detailType} (${d.kind}): a lifecycle event of the ${project} MLOps platform (README "Lifecycle events")`,
    type: 'object',
    required: ['detail-type', 'source', 'account', 'time', 'region', 'detail'],
    properties: {
      version: text,
      id: text,
      'detail-type': { type: 'string', enum: [d.detailType] },
      source: { type: 'string', enum: [lifecycleSource(project)] },
      account: text,
      time: { type: 'string', format: 'date-time' },
      region: text,
      resources: { type: 'array', items: text },
      detail,
    },
  };
}

/**
 * The stage's lifecycle event bus, and its schema registry with one schema per detail-type. Pipeline
 * stacks name the bus (lib/config/naming.ts) and announce on it; teams add their own rules to it.
 */
export class LifecycleEvents extends Construct {
  public readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: { project: string; stage: string }) {
    super(scope, id);
    const name = eventBusName(props.project, props.stage);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: name,
      description: `Lifecycle events of ${props.project}-${props.stage} (source ${lifecycleSource(props.project)})`,
    });
    const registry = new eventschemas.CfnRegistry(this, 'Registry', {
      registryName: name,
      description: `Schemas of the lifecycle events on event bus ${name}, one per detail-type`,
    });
    for (const d of detailSchemas) {
      new eventschemas.CfnSchema(this, d.detailType.replace(/ /g, ''), {
        registryName: registry.attrRegistryName,
        schemaName: schemaName(props.project, d.detailType),
        type: 'JSONSchemaDraft4',
        description: `${d.detailType} events (detail.kind "${d.kind}")`,
        content: JSON.stringify(eventJsonSchema(props.project, d)),
      });
    }
  }
}

/** What a pipeline's functions need to announce facts on the stage's bus: its variables, and PutEvents for this source only. */
export class LifecycleAnnouncer {
  readonly busArn: string;

  constructor(
    scope: Construct,
    readonly environment: EnvValues<typeof lifecycleEnv>,
  ) {
    this.busArn = arnsOf(scope).eventBus(environment.EVENT_BUS_NAME);
  }

  /** PutEvents on the stage's bus, with this project's source (and no other) on every entry. */
  grant(principal: iam.IPrincipal & IConstruct): void {
    allow(principal, {
      actions: ['events:PutEvents'],
      resources: [this.busArn],
      conditions: { 'ForAllValues:StringEquals': { 'events:source': [lifecycleSource(this.environment.PROJECT)] }, Null: { 'events:source': 'false' } },
    });
  }

  /**
   * The e-mail subscriber: the bus delivers this pipeline's e-mailed facts to the notify function,
   * which formats and publishes each (failed deliveries and invocations go to `deadLetterQueue`).
   */
  emailTo(scope: Construct, notify: lambda.IFunction, deadLetterQueue: sqs.IQueue): events.Rule {
    return new events.Rule(scope, 'EmailRule', {
      description: `E-mails the lifecycle events of ${this.environment.PIPELINE_NAME}`,
      eventBus: events.EventBus.fromEventBusArn(scope, 'LifecycleBus', this.busArn),
      eventPattern: {
        source: [lifecycleSource(this.environment.PROJECT)],
        detailType: EMAILED_KINDS.map((k) => DETAIL_TYPES[k]),
        // The stage too: a stage that promotes another's models also receives that stage's Model Live events.
        detail: { stage: [this.environment.STAGE], pipeline: [this.environment.PIPELINE_NAME] },
      },
      targets: [new targets.LambdaFunction(notify, { deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
  }
}
