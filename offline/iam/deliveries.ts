import { REGION, type SynthesizedAccount } from '../account';
import { LAMBDA_VPC_ACTIONS } from '../../lib/vpc-mode';
import type { AuthRequest } from './authorizer';
import { type Need, snsPublish } from './requests';

type Json = Record<string, any>;

const withContext = (needs: Need[], context: Record<string, string>): Need[] => needs.map((n) => ({ ...n, context: { ...n.context, ...context } }));

/**
 * Sending to a queue, and its key's data key when the queue is encrypted with a customer-managed
 * key; SQS asks KMS on the sender's behalf with the queue ARN as encryption context (`aws:sqs:arn`).
 */
function sqsSend(account: SynthesizedAccount, queueArn: string): Need[] {
  const key = account.encryptionKey(queueArn);
  const context = { 'kms:ViaService': `sqs.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:sqs:arn': queueArn, 'kms:CallerAccount': account.id };
  return [
    { action: 'sqs:SendMessage', resource: queueArn },
    ...(key
      ? [
          { action: 'kms:GenerateDataKey', resource: key, context },
          { action: 'kms:Decrypt', resource: key, context },
        ]
      : []),
  ];
}

/**
 * What delivering to a target takes. An event bus (another account's) is sent to with PutEvents,
 * whose `events:source` and `events:detail-type` are those of the events the rule matches (its
 * pattern's values).
 */
function targetNeeds(arn: string, pattern: Json = {}): Need[] {
  if (arn.startsWith('arn:aws:states:')) return [{ action: 'states:StartExecution', resource: arn }];
  if (arn.includes(':event-bus/'))
    return [
      { action: 'events:PutEvents', resource: arn, context: { 'events:source': pattern.source ?? [], 'events:detail-type': pattern['detail-type'] ?? [] } },
    ];
  return [{ action: 'lambda:InvokeFunction', resource: arn }];
}

/**
 * Every delivery a service makes on the platform's behalf, as configured in the templates, whether
 * or not a run takes it: EventBridge rule → target and → its dead-letter queue; Lambda
 * asynchronous failure → destination or DLQ (as the function's role); Scheduler → its role
 * (trust policy) → target and DLQ; CloudWatch alarm → SNS topic (topic and key policy).
 */
export function configuredDeliveries(account: SynthesizedAccount): AuthRequest[] {
  const out: AuthRequest[] = [];
  const add = (principal: string, needs: Need[], via: string) => out.push(...needs.map((n) => ({ principal, via, ...n })));
  for (const r of account.resourcesOfType('AWS::Events::Rule')) {
    const ruleArn = account.getAtt(r.stack, r.logicalId, 'Arn');
    for (const t of account.resolve(r.properties.Targets ?? [], r.stack) as Json[]) {
      const via = `rule ${ruleArn.split('/').pop()} → ${t.Arn.split(':').pop()}`;
      if (t.RoleArn) {
        add('events.amazonaws.com', [{ action: 'sts:AssumeRole', resource: t.RoleArn, context: { 'aws:SourceArn': ruleArn } }], via);
        add(t.RoleArn, targetNeeds(t.Arn, account.resolve(r.properties.EventPattern, r.stack)), via);
      } else {
        add('events.amazonaws.com', withContext(targetNeeds(t.Arn), { 'aws:SourceArn': ruleArn }), via);
      }
      if (t.DeadLetterConfig?.Arn)
        add('events.amazonaws.com', withContext(sqsSend(account, t.DeadLetterConfig.Arn), { 'aws:SourceArn': ruleArn }), `${via} (dead-letter queue)`);
    }
  }
  for (const r of account.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
    const p = account.resolve(r.properties, r.stack) as Json;
    const queue = p.DestinationConfig?.OnFailure?.Destination;
    if (queue) add(account.roleOf('function', p.FunctionName), sqsSend(account, queue), `lambda ${p.FunctionName} async failure → destination`);
  }
  for (const r of account.resourcesOfType('AWS::Lambda::Function')) {
    const dlq = account.resolve(r.properties.DeadLetterConfig?.TargetArn, r.stack) as string | undefined;
    const name = account.ref(r.stack, r.logicalId);
    if (dlq) add(account.roleOf('function', name), sqsSend(account, dlq), `lambda ${name} async failure → DLQ`);
  }
  for (const r of account.resourcesOfType('AWS::Lambda::Function')) {
    // VPC mode: Lambda attaches the function to its subnets with the execution role's permissions, when it creates it.
    if (!r.properties.VpcConfig) continue;
    const name = account.ref(r.stack, r.logicalId);
    add(
      account.resolve(r.properties.Role, r.stack),
      LAMBDA_VPC_ACTIONS.map((action) => ({ action, resource: '*' })),
      `lambda ${name} in the VPC (at creation)`,
    );
  }
  for (const r of account.resourcesOfType('AWS::Scheduler::Schedule')) {
    const p = account.resolve(r.properties, r.stack) as Json;
    const scheduleArn = account.getAtt(r.stack, r.logicalId, 'Arn');
    const via = `schedule ${p.Name}`;
    add('scheduler.amazonaws.com', [{ action: 'sts:AssumeRole', resource: p.Target.RoleArn, context: { 'aws:SourceArn': scheduleArn } }], via);
    add(p.Target.RoleArn, targetNeeds(p.Target.Arn), via);
    if (p.Target.DeadLetterConfig?.Arn) add(p.Target.RoleArn, sqsSend(account, p.Target.DeadLetterConfig.Arn), `${via} (dead-letter queue)`);
  }
  for (const r of account.resourcesOfType('AWS::CloudWatch::Alarm')) {
    const p = account.resolve(r.properties, r.stack) as Json;
    const alarmArn = `arn:aws:cloudwatch:${REGION}:${account.id}:alarm:${p.AlarmName}`;
    for (const topic of new Set<string>([...(p.AlarmActions ?? []), ...(p.OKActions ?? [])])) {
      if (topic.startsWith('arn:aws:sns:'))
        add('cloudwatch.amazonaws.com', withContext(snsPublish(account, topic), { 'aws:SourceArn': alarmArn }), `alarm ${p.AlarmName} → SNS`);
    }
  }
  return out;
}
