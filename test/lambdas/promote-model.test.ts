import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PromoteEnv } from '../../lambdas/promote-model/contract';
import { handlerWith } from '../../lambdas/promote-model/handler';
import { promote, promoteOrRefuse, type Registration, type SourcePackage } from '../../lambdas/promote-model/logic';
import type { ModelLiveEvent } from '../../lambdas/promote-model/schema';
import type { FactInput } from '../../lambdas/shared/lifecycle';
import { memoryLogger } from '../../lambdas/shared/logger';
import { validateSageMakerRequest } from '../../offline/api-models';
import { MemoryObjectStore } from '../../offline/memory-store';

const DEV = '111111111111';
const SOURCE_BUCKET = `acme-dev-artifacts-${DEV}-eu-west-1`;
const TARGET_BUCKET = 'acme-prod-artifacts-222222222222-eu-west-1';
const SOURCE_ARN = `arn:aws:sagemaker:eu-west-1:${DEV}:model-package/acme-dev-churn/3`;
const RUN = 'churn/runs/0123456789ab';
const MODEL_KEY = `${RUN}/model/acme-dev-churn--t-0123456789ab/output/model.tar.gz`;
const ARTIFACT = Buffer.from('model bytes: the artifact the evaluation scored');
const SHA = createHash('sha256').update(ARTIFACT).digest('hex');

const env: PromoteEnv = {
  PROJECT: 'acme',
  STAGE: 'prod',
  PIPELINE_NAME: 'churn',
  MODEL_PACKAGE_GROUP: 'acme-prod-churn',
  EVENT_BUS_NAME: 'acme-prod-lifecycle',
  SOURCE_STAGE: 'dev',
  SOURCE_ACCOUNT: DEV,
  SOURCE_BUCKET,
  SOURCE_GROUP: 'acme-dev-churn',
  ARTIFACTS_BUCKET: TARGET_BUCKET,
  APPROVAL_STATUS: 'PendingManualApproval',
  TAGS: [{ Key: 'mlops:stage', Value: 'prod' }],
};
const event = (patch: Partial<ModelLiveEvent['detail']> = {}, account = DEV): ModelLiveEvent => ({
  source: 'mlops.acme',
  'detail-type': 'Model Live',
  account,
  detail: { kind: 'deployed', stage: 'dev', pipeline: 'churn', modelPackageArn: SOURCE_ARN, executionArn: 'arn:x:deployment', ...patch },
});
const sourcePackage = (patch: Partial<SourcePackage> = {}): SourcePackage => ({
  approvalStatus: 'Approved',
  image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
  modelDataUrl: `s3://${SOURCE_BUCKET}/${MODEL_KEY}`,
  contentTypes: ['text/csv'],
  responseTypes: ['text/csv'],
  metadata: {
    'metric:auc': '0.97',
    execution: `arn:aws:states:eu-west-1:${DEV}:execution:acme-dev-churn-training:churn-2026-11-20-x`,
    lineage: `s3://${SOURCE_BUCKET}/${RUN}/input/lineage.json`,
    'model-sha256': SHA,
  },
  ...patch,
});

function world(pkg = sourcePackage()) {
  const store = new MemoryObjectStore();
  store.put(SOURCE_BUCKET, MODEL_KEY, ARTIFACT);
  store.put(SOURCE_BUCKET, `${RUN}/input/lineage.json`, '{"objects":[]}');
  store.put(SOURCE_BUCKET, `${RUN}/data/baseline/baseline.csv`, 'f1,f2\n1,2\n');
  const registered: Registration[] = [];
  const announced: FactInput[] = [];
  const deps = {
    store,
    registry: {
      describe: async () => pkg,
      // SageMaker's ClientToken: the same token gives the same package.
      register: async (r: Registration) => {
        const earlier = registered.findIndex((x) => x.clientToken === r.clientToken);
        if (earlier < 0) registered.push(r);
        return `arn:aws:sagemaker:eu-west-1:222222222222:model-package/acme-prod-churn/${(earlier < 0 ? registered.length : earlier + 1).toString()}`;
      },
    },
    announce: async (f: FactInput) => String(announced.push(f)),
    log: memoryLogger(),
  };
  return { store, registered, announced, deps };
}

describe('promotion of a model live in another stage', () => {
  it('registers the very artifact, copied and checked against the hash its evaluation recorded, with its lineage and baseline, for approval here', async () => {
    const w = world();
    const out = await promote(event(), env, w.deps);
    const run = 'churn/runs/from-dev-v3';
    const copy = `${run}/model/acme-prod-churn--promoted/output/model.tar.gz`;
    expect(w.store.getBuffer(TARGET_BUCKET, copy)).toEqual(ARTIFACT);
    expect(JSON.parse(w.store.get(TARGET_BUCKET, `${run}/promoted.json`)!)).toEqual(out);
    expect(w.store.get(TARGET_BUCKET, `${run}/data/baseline/baseline.csv`)).toBe('f1,f2\n1,2\n');
    expect(w.store.get(TARGET_BUCKET, `${run}/input/lineage.json`)).toBe('{"objects":[]}');
    expect(w.registered).toEqual([
      expect.objectContaining({
        group: 'acme-prod-churn',
        approvalStatus: 'PendingManualApproval',
        image: sourcePackage().image,
        modelDataUrl: `s3://${TARGET_BUCKET}/${copy}`,
        metadata: {
          ...sourcePackage().metadata,
          lineage: `s3://${TARGET_BUCKET}/${run}/input/lineage.json`,
          'promoted-from': SOURCE_ARN,
          'source-stage': 'dev',
        },
        tags: env.TAGS,
      }),
    ]);
    expect(out).toEqual({
      modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/acme-prod-churn/1',
      sourcePackageArn: SOURCE_ARN,
      modelSha256: SHA,
    });
    expect(w.announced).toEqual([
      {
        kind: 'model-promoted',
        modelPackageArn: out.modelPackageArn,
        approvalStatus: 'PendingManualApproval',
        sourcePackageArn: SOURCE_ARN,
        sourceStage: 'dev',
        sourceExecutionArn: sourcePackage().metadata.execution,
        modelSha256: SHA,
      },
    ]);
  });

  it('registers and announces once however often the event is delivered, even replayed days later (its marker), and retries with one client token', async () => {
    const w = world();
    const a = await promote(event(), env, w.deps);
    const b = await promote(event(), env, w.deps);
    expect(b).toEqual(a);
    expect(w.registered).toHaveLength(1);
    expect(w.announced).toHaveLength(1);
    expect(w.registered[0]!.clientToken).toMatch(/^[0-9a-f]{32}$/);
    // A second stage promoting from the same source registers its own package: another token.
    const other = world();
    await promote(event(), { ...env, MODEL_PACKAGE_GROUP: 'acme-staging-churn' }, other.deps);
    expect(other.registered[0]!.clientToken).not.toBe(w.registered[0]!.clientToken);
  });

  it("registers without a lineage when the source's names no run of its bucket, rather than a bucket the drift check here cannot read", async () => {
    const w = world(sourcePackage({ metadata: { ...sourcePackage().metadata, lineage: 's3://elsewhere/x/runs/r/input/lineage.json' } }));
    await promote(event(), env, w.deps);
    expect(w.registered[0]!.metadata).not.toHaveProperty('lineage');
    expect(w.registered[0]!.metadata['promoted-from']).toBe(SOURCE_ARN);
  });

  it('registers nothing when the artifact changed after its evaluation (its hash differs)', async () => {
    const w = world();
    w.store.put(SOURCE_BUCKET, MODEL_KEY, 'other bytes, written after the evaluation');
    await expect(promote(event(), env, w.deps)).rejects.toMatchObject({ name: 'ArtifactMismatchError', message: expect.stringContaining(`not the ${SHA}`) });
    await expect(promote(event(), env, w.deps)).rejects.toThrow(`the copy stays at s3://${TARGET_BUCKET}/churn/runs/from-dev-v3/incoming/model.tar.gz`);
    expect(w.registered).toEqual([]);
    expect(w.announced).toEqual([]);
    // The bad bytes stay in the incoming copy, never where the served model's role reads models.
    expect(w.store.keys(TARGET_BUCKET, '').filter((k) => k.includes('/model/'))).toEqual([]);
    expect(w.store.keys(TARGET_BUCKET, '')).toEqual(['churn/runs/from-dev-v3/incoming/model.tar.gz']);
  });

  it.each([
    ['another stage', event({ stage: 'test' }), /stage is test, expected dev/],
    ['another pipeline', event({ pipeline: 'fraud' }), /pipeline is fraud, expected churn/],
    ['another account', event({}, '333333333333'), /account is 333333333333/],
    [
      'a package of another group',
      event({ modelPackageArn: `arn:aws:sagemaker:eu-west-1:${DEV}:model-package/acme-dev-fraud/1` }),
      /package's group is acme-dev-fraud, expected acme-dev-churn/,
    ],
  ])('refuses the event of %s, touching nothing and e-mailing nothing (it is not the source stage’s model)', async (_what, e, message) => {
    const w = world();
    await expect(promoteOrRefuse(e, env, w.deps)).rejects.toMatchObject({ name: 'MisroutedEventError', message: expect.stringMatching(message) });
    expect(w.store.keys(TARGET_BUCKET, '')).toEqual([]);
    expect(w.registered).toEqual([]);
    expect(w.announced).toEqual([]);
  });

  it.each([
    ['no longer approved', { approvalStatus: 'Rejected' }, /is Rejected in stage dev/],
    ['registered without a hash', { metadata: { lineage: 'x' } }, /has no model-sha256/],
    ['serving an artifact outside its runs', { modelDataUrl: `s3://${SOURCE_BUCKET}/elsewhere/model.tar.gz` }, /outside the runs of churn/],
    ['serving an artifact of another bucket', { modelDataUrl: `s3://attacker/churn/runs/r/model.tar.gz` }, /outside the runs of churn/],
  ])('refuses a source package %s', async (_what, patch, message) => {
    const w = world(sourcePackage(patch as Partial<SourcePackage>));
    await expect(promote(event(), env, w.deps)).rejects.toMatchObject({ name: 'PromotionRefusedError', message: expect.stringMatching(message) });
    expect(w.registered).toEqual([]);
  });
});

describe('a promotion this stage refuses', () => {
  it('is announced once as Model Promotion Failed, however often the event comes, and still thrown for the DLQ', async () => {
    const w = world();
    w.store.put(SOURCE_BUCKET, MODEL_KEY, 'other bytes, written after the evaluation');
    for (let delivery = 0; delivery < 3; delivery++)
      await expect(promoteOrRefuse(event(), env, w.deps)).rejects.toMatchObject({ name: 'ArtifactMismatchError' });
    expect(w.announced).toEqual([
      {
        kind: 'promotion-failed',
        sourcePackageArn: SOURCE_ARN,
        sourceStage: 'dev',
        error: 'ArtifactMismatchError',
        cause: expect.stringContaining(`not the ${SHA}`),
      },
    ]);
    expect(w.registered).toEqual([]);
  });

  it('is not announced for a failure a retry may cure (the DLQ alarm covers what retries do not)', async () => {
    const w = world();
    w.deps.registry.register = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    await expect(promoteOrRefuse(event(), env, w.deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(w.announced).toEqual([]);
  });

  it('still throws the refusal when its announcement fails, and announces it on the next delivery', async () => {
    const w = world(sourcePackage({ approvalStatus: 'Rejected' }));
    const announce = w.deps.announce;
    w.deps.announce = async () => {
      throw new Error('bus unavailable');
    };
    await expect(promoteOrRefuse(event(), env, w.deps)).rejects.toMatchObject({ name: 'PromotionRefusedError' });
    w.deps.announce = announce;
    await expect(promoteOrRefuse(event(), env, w.deps)).rejects.toMatchObject({ name: 'PromotionRefusedError' });
    expect(w.announced.map((f) => f.kind)).toEqual(['promotion-failed']);
  });

  it('is not claimed for a version promoted before: a replay after the source rejected it returns the earlier promotion, e-mailing nothing', async () => {
    const pkg = { ...sourcePackage() };
    const w = world(pkg);
    const first = await promoteOrRefuse(event(), env, w.deps);
    Object.assign(pkg, { approvalStatus: 'Rejected' });
    await expect(promoteOrRefuse(event(), env, w.deps)).resolves.toEqual(first);
    expect(w.announced.map((f) => f.kind)).toEqual(['model-promoted']);
  });
});

describe('promote-model handler', () => {
  const sm = mockClient(SageMakerClient);
  const s3 = mockClient(S3Client);
  const bus = mockClient(EventBridgeClient);
  afterEach(() => {
    sm.reset();
    s3.reset();
    bus.reset();
  });
  afterAll(() => {
    sm.restore();
    s3.restore();
    bus.restore();
  });

  it('reads the source package, copies and hashes by ranges, and sends a CreateModelPackage the SageMaker API model accepts', async () => {
    const pkg = sourcePackage();
    sm.on(DescribeModelPackageCommand).resolves({
      ModelPackageArn: SOURCE_ARN,
      ModelPackageName: 'acme-dev-churn',
      ModelApprovalStatus: 'Approved',
      CreationTime: new Date(),
      ModelPackageStatus: 'Completed',
      InferenceSpecification: {
        Containers: [{ Image: pkg.image, ModelDataUrl: pkg.modelDataUrl }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
      CustomerMetadataProperties: { ...pkg.metadata },
    });
    s3.on(HeadObjectCommand).resolves({ ContentLength: ARTIFACT.length });
    // Not promoted before: no marker.
    s3.on(HeadObjectCommand, { Key: 'churn/runs/from-dev-v3/promoted.json' }).rejects(
      Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(PutObjectCommand).resolves({});
    s3.on(CopyObjectCommand).resolves({});
    s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new Uint8Array(ARTIFACT) } as never });
    sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/acme-prod-churn/1' });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const handler = handlerWith(
      { sageMaker: new SageMakerClient({}), s3: new S3Client({}), eventBridge: new EventBridgeClient({}) },
      { ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])), AWS_REGION: 'eu-west-1' },
    );
    await expect(handler(event())).resolves.toMatchObject({ modelSha256: SHA });
    expect(sm.commandCalls(DescribeModelPackageCommand)[0]!.args[0].input).toEqual({ ModelPackageName: SOURCE_ARN });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Range)).toEqual([`bytes=0-${ARTIFACT.length - 1}`]);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ Key: 'churn/runs/from-dev-v3/promoted.json', IfNoneMatch: '*' });
    const create = sm.commandCalls(CreateModelPackageCommand)[0]!.args[0].input;
    expect(() => validateSageMakerRequest('createModelPackage', create)).not.toThrow();
    expect(create).toMatchObject({ ModelPackageGroupName: 'acme-prod-churn', ModelApprovalStatus: 'PendingManualApproval' });
    const [entry] = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'acme-prod-lifecycle', Source: 'mlops.acme', DetailType: 'Model Promoted' });
  });

  it('refuses anything but a Model Live event with a typed error', async () => {
    const handler = handlerWith({ sageMaker: new SageMakerClient({}), s3: new S3Client({}), eventBridge: new EventBridgeClient({}) }, {});
    await expect(handler({ 'detail-type': 'Model Registered' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sm.calls()).toHaveLength(0);
  });
});
