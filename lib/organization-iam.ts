import { type App, Aspects, CfnResource, type IAspect, Names, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { deployedRoleName, type IamSettings, ROLE_NAME_MAX } from './config/organization';

const ROLE = 'AWS::IAM::Role';

/**
 * Puts the organization's path and name prefix on every role of the app (`iam.rolePath`,
 * `iam.roleNamePrefix`): the platform's named roles keep their name after the prefix; every other
 * role (ours, CDK's helpers, custom-resource providers) gets a stable name from its construct path,
 * within IAM's 64 characters.
 */
class RoleNaming implements IAspect {
  constructor(private readonly settings: IamSettings) {}

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== ROLE) return;
    const { rolePath, roleNamePrefix } = this.settings;
    if (rolePath) node.addPropertyOverride('Path', rolePath);
    if (roleNamePrefix === undefined) return;
    // An L2 role's name is a token that resolves to nothing unless the role is named (or referenced across environments).
    const own: unknown = node instanceof iam.CfnRole ? Stack.of(node).resolve(node.roleName) : undefined;
    const name =
      typeof own === 'string' && own !== '' ? own : Names.uniqueResourceName(node, { maxLength: ROLE_NAME_MAX - roleNamePrefix.length, separator: '-' });
    node.addPropertyOverride('RoleName', deployedRoleName(this.settings, name));
  }
}

/** The organization's IAM rules on every role of `app` (README "Deploying into a landing zone"). */
export function applyOrganizationIam(app: App, stacks: readonly Stack[], settings: IamSettings): void {
  if (settings.rolePath || settings.roleNamePrefix) Aspects.of(app).add(new RoleNaming(settings));
  const boundary = settings.permissionsBoundary;
  if (!boundary) return;
  for (const stack of stacks) {
    // A name resolves in the stack's own account (landing zones deploy the same boundary policy in each).
    const policy = boundary.startsWith('arn:')
      ? iam.ManagedPolicy.fromManagedPolicyArn(stack, 'PermissionsBoundary', boundary)
      : iam.ManagedPolicy.fromManagedPolicyName(stack, 'PermissionsBoundary', boundary);
    iam.PermissionsBoundary.of(stack).apply(policy);
  }
}
