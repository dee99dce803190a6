import type { FormattedMessage } from '../lambdas/notify/logic';
import { validateSageMakerRequest } from './api-models';
import { checkPutMetricData, checkSnsPublish, type PutMetricDataInput, type SnsPublishInput } from './limits';
import { sdkError, type LocalService } from './local-aws';
import type { LocalSageMaker } from './local-sagemaker';
import type { MemoryObjectStore } from './memory-store';

type Json = Record<string, any>;

/** S3 over the in-memory store: the operations the Lambdas' S3ObjectStore sends. */
export function localS3(store: MemoryObjectStore): LocalService {
  return async (op, p) => {
    switch (op) {
      case 'HeadObject': {
        const size = await store.sizeOf(p.Bucket, p.Key);
        if (size === undefined) throw sdkError('NotFound', 'Not Found', 404);
        return { ContentLength: size };
      }
      case 'ListObjectVersions': {
        const { objects } = await store.list(p.Bucket, p.Prefix ?? '', Number.MAX_SAFE_INTEGER);
        return {
          IsTruncated: false,
          Versions: objects.map((o) => ({ Key: o.key, Size: o.size, VersionId: o.versionId, ETag: `"${o.etag}"`, IsLatest: true })),
        };
      }
      case 'ListMultipartUploads': {
        const n = await store.uploadsInProgress(p.Bucket, p.Prefix ?? '');
        return { IsTruncated: false, Uploads: Array.from({ length: n }, (_, i) => ({ Key: `${p.Prefix}upload-${i}`, UploadId: `u${i}` })) };
      }
      case 'GetObject': {
        const body = store.getBuffer(p.Bucket, p.Key, p.VersionId);
        if (!body) throw sdkError(p.VersionId ? 'NoSuchVersion' : 'NoSuchKey', 'The specified key does not exist.', 404);
        const range = /^bytes=(\d+)-(\d+)$/.exec(p.Range ?? '');
        const part = range ? body.subarray(Number(range[1]), Number(range[2]) + 1) : body;
        return {
          Body: { transformToString: async () => part.toString('utf8'), transformToByteArray: async () => new Uint8Array(part) },
          ContentLength: part.length,
        };
      }
      case 'PutObject':
        if (p.IfNoneMatch === '*' && (await store.exists(p.Bucket, p.Key)))
          throw sdkError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        store.put(p.Bucket, p.Key, typeof p.Body === 'string' ? p.Body : Buffer.from(p.Body), p.ContentType);
        return {};
      case 'CopyObject': {
        const m = /^([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(p.CopySource)!;
        const body = store.getBuffer(m[1]!, decodeURIComponent(m[2]!), m[3] && decodeURIComponent(m[3]));
        if (!body) throw sdkError('NoSuchKey', 'The specified key does not exist.', 404);
        store.put(p.Bucket, p.Key, body);
        return {};
      }
      default:
        throw new Error(`the offline S3 has no ${op}`);
    }
  };
}

/** SageMaker's Describe/List calls the Lambdas make, answered from the stand-in's state. */
export function localSageMakerApi(sm: LocalSageMaker): LocalService {
  return async (op, p) => {
    switch (op) {
      case 'DescribeModelPackage': {
        const pkg = sm.packages.get(p.ModelPackageName);
        if (!pkg) throw sdkError('ValidationException', `ModelPackage ${p.ModelPackageName} does not exist.`);
        return { ...pkg, ModelPackageStatus: 'Completed' };
      }
      case 'ListModelPackages': {
        const list = [...sm.packages.values()].filter(
          (x) => x.ModelPackageGroupName === p.ModelPackageGroupName && (!p.ModelApprovalStatus || x.ModelApprovalStatus === p.ModelApprovalStatus),
        );
        const ordered = p.SortOrder === 'Descending' ? list.reverse() : list;
        return {
          ModelPackageSummaryList: ordered
            .slice(0, p.MaxResults ?? 100)
            .map((x) => ({ ModelPackageArn: x.ModelPackageArn, ModelPackageVersion: x.ModelPackageVersion, ModelApprovalStatus: x.ModelApprovalStatus })),
        };
      }
      case 'DescribeEndpoint': {
        const e = sm.endpoints.get(p.EndpointName);
        if (!e) throw sdkError('ValidationException', `Could not find endpoint "${p.EndpointName}".`);
        return { EndpointName: p.EndpointName, EndpointStatus: e.status, EndpointConfigName: e.config };
      }
      case 'DescribeEndpointConfig': {
        const c = sm.configs.get(p.EndpointConfigName);
        if (!c) throw sdkError('ValidationException', `Could not find endpoint configuration "${p.EndpointConfigName}".`);
        return c;
      }
      case 'DescribeModel': {
        const m = sm.models.get(p.ModelName);
        if (!m) throw sdkError('ValidationException', `Could not find model "${p.ModelName}".`);
        return { ModelName: p.ModelName, PrimaryContainer: m.PrimaryContainer, ExecutionRoleArn: m.ExecutionRoleArn };
      }
      case 'CreateModelPackage':
        // A Lambda's registration (promotion): checked against the API model like a workflow's.
        validateSageMakerRequest(op, p);
        return sm.sdk('createModelPackage', p);
      default:
        throw new Error(`the offline SageMaker API has no ${op}`);
    }
  };
}

/** SNS: a published message becomes an e-mail of the run. */
export function localSns(deliver: (topicArn: string, m: FormattedMessage) => void): LocalService {
  let id = 0;
  return async (op, p) => {
    if (op !== 'Publish') throw new Error(`the offline SNS has no ${op}`);
    checkSnsPublish(p as SnsPublishInput);
    const attributes = Object.fromEntries(Object.entries((p.MessageAttributes ?? {}) as Record<string, Json>).map(([k, v]) => [k, String(v.StringValue)]));
    deliver(p.TopicArn, { subject: p.Subject, body: p.Message, attributes });
    return { MessageId: `m-${++id}` };
  };
}

/** SSM parameters in a map. */
export function localSsm(parameters: Map<string, string>): LocalService {
  return async (op, p) => {
    if (op === 'GetParameter') {
      const value = parameters.get(p.Name);
      if (value === undefined) throw sdkError('ParameterNotFound', `Parameter ${p.Name} not found.`);
      return { Parameter: { Name: p.Name, Value: value, Version: 1 } };
    }
    if (op === 'PutParameter') {
      parameters.set(p.Name, p.Value);
      return { Version: 1 };
    }
    throw new Error(`the offline SSM has no ${op}`);
  };
}

/** CloudWatch: metrics published by the drift check; variant metrics read from the stand-in endpoint's counters. */
export function localCloudWatch(
  sm: LocalSageMaker,
  putMetric: (namespace: string, name: string, value: number, dimension: string) => Promise<void>,
  alarms: () => { AlarmName: string; AlarmArn: string; StateValue: string; StateUpdatedTimestamp?: string }[] = () => [],
): LocalService {
  return async (op, p) => {
    if (op === 'DescribeAlarms') {
      const names = (p.AlarmNames as string[] | undefined) ?? [];
      return { MetricAlarms: alarms().filter((a) => names.length === 0 || names.includes(a.AlarmName)), CompositeAlarms: [] };
    }
    if (op === 'PutMetricData') {
      checkPutMetricData(p as PutMetricDataInput);
      for (const d of p.MetricData as Json[]) await putMetric(p.Namespace, d.MetricName, d.Value, d.Dimensions?.[0]?.Value ?? '');
      return {};
    }
    if (op === 'GetMetricData') {
      const results = (p.MetricDataQueries as Json[]).map((q) => {
        const dims = Object.fromEntries((q.MetricStat.Metric.Dimensions as Json[]).map((d) => [d.Name, d.Value]));
        const c = sm.endpoints.get(dims.EndpointName)?.counters.get(dims.VariantName);
        if (!c || c.invocations === 0) return { Id: q.Id, Values: [] };
        const sorted = [...c.latencyUs].sort((a, b) => a - b);
        const value = {
          Invocations: c.invocations,
          Invocation5XXErrors: 0,
          InvocationModelErrors: 0,
          ModelLatency: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!,
        }[q.MetricStat.Metric.MetricName as string];
        return { Id: q.Id, Values: value === undefined ? [] : [value] };
      });
      return { MetricDataResults: results };
    }
    throw new Error(`the offline CloudWatch has no ${op}`);
  };
}
