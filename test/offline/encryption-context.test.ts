import { describe, expect, it } from 'vitest';
import { resolveEncryptionContext } from '../../offline/iam/encryption-context';

const QUEUE = 'arn:aws:sqs:eu-west-1:111122223333:mlops-dev-breast-cancer-trigger-dlq';
const policy = (condition: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'kms:GenerateDataKey', Resource: '*', Condition: condition }],
});

describe('kms:EncryptionContext conditions, which the simulator ignores, evaluated offline as IAM does', () => {
  const scoped = policy({
    StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' },
    ArnLike: { 'kms:EncryptionContext:aws:sqs:arn': 'arn:aws:sqs:eu-west-1:111122223333:mlops-dev-*' },
  });

  it('keeps a statement whose context matches, with its other conditions left for the simulator', () => {
    expect(resolveEncryptionContext(scoped, { 'kms:EncryptionContext:aws:sqs:arn': QUEUE }).Statement).toEqual([
      expect.objectContaining({ Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } } }),
    ]);
  });

  it('drops it when the context names another queue, or none', () => {
    expect(resolveEncryptionContext(scoped, { 'kms:EncryptionContext:aws:sqs:arn': 'arn:aws:sqs:eu-west-1:111122223333:other-dlq' }).Statement).toEqual([]);
    expect(resolveEncryptionContext(scoped, {}).Statement).toEqual([]);
  });

  it('refuses an operator it cannot evaluate instead of allowing', () => {
    expect(() => resolveEncryptionContext(policy({ StringNotEquals: { 'kms:EncryptionContext:aws:sqs:arn': QUEUE } }), {})).toThrow(
      /cannot evaluate StringNotEquals/,
    );
  });
});
