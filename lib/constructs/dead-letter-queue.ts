import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { SECURE_DEFAULTS } from '../config/secure-defaults';
import { allow } from './scoped-policy';

/**
 * A dead-letter queue of the platform: `<prefix>-<purpose>-dlq`, encrypted with the stage key
 * (a failed event carries object keys and model package ARNs), TLS-only, kept 14 days. Senders
 * need the key: EventBridge by the key policy (lib/stacks/data-stack.ts, scoped by the queue ARN
 * SQS puts in the encryption context), Scheduler and Lambda through their roles. It alarms when a
 * message lands (PipelineAlarms.watchDeadLetterQueues).
 */
export function deadLetterQueue(scope: Construct, id: string, props: { name: string; key: kms.IKey; of: string }): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    queueName: props.name,
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(SECURE_DEFAULTS.dlqRetentionDays),
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: `This queue is itself the dead-letter queue of ${props.of}.` });
  return queue;
}

/** The alarm of such a queue, `<queue>-not-empty`: a message there is an event or invocation that failed for good. */
export function deadLetterAlarm(scope: Construct, id: string, queue: sqs.Queue, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmName: `${(queue.node.defaultChild as sqs.CfnQueue).queueName!}-not-empty`,
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/**
 * Exactly what SendMessage to such a queue needs: sqs:SendMessage, and the key's GenerateDataKey
 * and Decrypt (SQS developer guide, key management).
 */
export function allowSendTo(principal: iam.IPrincipal & IConstruct, queue: sqs.IQueue, key: kms.IKey): void {
  allow(principal, { actions: ['sqs:SendMessage'], resources: [queue.queueArn] }, { actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] });
}

/**
 * A Lambda on-failure destination on such a queue, granting the function's role exactly what
 * SendMessage needs, where CDK's SqsDestination grants `kms:GenerateDataKey*` and `kms:ReEncrypt*` as well.
 */
export function failureDestination(queue: sqs.Queue, key: kms.IKey): lambda.IDestination {
  return {
    bind(_scope, fn) {
      allowSendTo(fn.role!, queue, key);
      return { destination: queue.queueArn };
    },
  };
}
