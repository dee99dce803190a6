import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** One least-privilege statement. Wildcards in resources or actions need a reason. */
export interface ScopedStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
  /** Why a wildcard (`*` in a resource or action) is the narrowest scope; required when there is one. */
  readonly wildcardReason?: string;
}

/**
 * Adds statements to a principal's policy and acknowledges exactly the cdk-nag IAM5 findings
 * they cause, with their reasons. A wildcard without a reason fails the synth.
 */
export function allow(principal: iam.IPrincipal & IConstruct, ...statements: ScopedStatement[]): void {
  for (const s of statements) {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...s.actions], resources: [...s.resources], ...(s.conditions ? { conditions: s.conditions } : {}) }),
    );
    const findings = [
      ...s.actions.filter((a) => a.includes('*')).map((a) => `Action::${a}`),
      ...s.resources
        .map((r) => flattenReference(Stack.of(principal).resolve(r)))
        .filter((r) => r.includes('*'))
        .map((r) => `Resource::${r}`),
    ];
    if (findings.length === 0) continue;
    if (!s.wildcardReason) {
      // Attached to the construct, so the synth error names its path.
      principal.node.addValidation({ validate: () => [`wildcard in ${findings.join(', ')} needs a wildcardReason`] });
      continue;
    }
    Validations.of(principal).acknowledge(...findings.map((f) => ({ id: `AwsSolutions-IAM5[${f}]`, reason: s.wildcardReason! })));
  }
}

/** The same flattening cdk-nag applies to a resolved CloudFormation reference. */
export function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (o['Fn::Sub']) return flattenReference(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flattenReference(o['Fn::ImportValue']);
  if (o.Ref) return `<${flattenReference(o.Ref)}>`;
  return JSON.stringify(node);
}

/** Acknowledges the IAM5 finding for one wildcard resource CDK itself grants (e.g. `<fn arn>:*`). */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`, reason });
}

/** X-Ray and CloudWatch Logs delivery actions have no resource-level permissions. */
export const SERVICE_WIDE_REASON =
  'X-Ray (PutTraceSegments, PutTelemetryRecords) and CloudWatch Logs delivery actions do not support resource-level permissions, so AWS requires Resource "*".';
