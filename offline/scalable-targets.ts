import { createHash } from 'node:crypto';
import { ACCOUNT, REGION } from './account';

type Json = Record<string, any>;

interface Target {
  readonly arn: string;
  readonly tags: Record<string, string>;
}

/**
 * Application Auto Scaling's scalable targets, as far as authorization depends on them: the ARN
 * a registration gets (`scalable-target/<random id>`) and the tags it carries, which the
 * deployment role's policy is scoped by. RegisterScalableTarget tags only a target it creates
 * ("To tag an existing scalable target, use the TagResource operation", API reference).
 */
export class ScalableTargets {
  private readonly byId = new Map<string, Target>();

  constructor(private readonly accountId: string = ACCOUNT) {}

  /** The target registered for a resource id (undefined: none yet). */
  get(resourceId: string): Target | undefined {
    return this.byId.get(resourceId);
  }

  byArn(arn: string): Target | undefined {
    return [...this.byId.values()].find((t) => t.arn === arn);
  }

  /** The ARN of the target for `resourceId`: the registered one, or the one a registration would make. */
  arnOf(resourceId: string): string {
    const id = createHash('sha256').update(resourceId).digest('hex').slice(0, 36);
    return this.byId.get(resourceId)?.arn ?? `arn:aws:application-autoscaling:${REGION}:${this.accountId}:scalable-target/${id}`;
  }

  /** Registers (or updates) a target; tags apply only when it is created. */
  register(p: Json): { ScalableTargetARN: string } {
    const existing = this.byId.get(p.ResourceId);
    if (!existing) this.byId.set(p.ResourceId, { arn: this.arnOf(p.ResourceId), tags: { ...(p.Tags ?? {}) } });
    return { ScalableTargetARN: this.byId.get(p.ResourceId)!.arn };
  }

  tag(p: Json): Json {
    const target = this.byArn(p.ResourceARN);
    if (!target) throw failure('ResourceNotFoundException', `Scalable target ${p.ResourceARN} not found`);
    Object.assign(target.tags, p.Tags);
    return {};
  }

  deregister(p: Json): Json {
    if (!this.byId.delete(p.ResourceId)) throw notRegistered(p.ResourceId);
    return {};
  }

  /** A scaling policy needs its target registered first. */
  putScalingPolicy(p: Json): { PolicyARN: string } {
    if (!this.byId.has(p.ResourceId)) throw notRegistered(p.ResourceId);
    return { PolicyARN: `arn:aws:autoscaling:${REGION}:${this.accountId}:scalingPolicy:sim:resource/sagemaker/${p.ResourceId}:policyName/${p.PolicyName}` };
  }
}

/** Errors as a Step Functions AWS SDK integration names them (`ApplicationAutoScaling.<exception>`). */
const failure = (exception: string, message: string) => Object.assign(new Error(message), { name: `ApplicationAutoScaling.${exception}` });
const notRegistered = (resourceId: string) =>
  failure('ObjectNotFoundException', `No scalable target registered for service namespace: sagemaker, resource ID: ${resourceId}`);
