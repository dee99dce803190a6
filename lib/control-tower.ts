import { type App, CfnElement, type IPolicyValidationPlugin, Stack, Validations } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { readFileSync } from 'node:fs';
import type { IConstruct } from 'constructs';
import { rulesForOtherTypes } from './control-tower-rules';

/** The context flag that turns the checks on: `npx cdk synth -c controlTower=true`. */
export const CONTROL_TOWER_CONTEXT = 'controlTower';

/** A Control Tower control the platform does not meet, by design: its cfn-guard rule name, its control id, why. */
export interface ControlWaiver {
  readonly rule: string;
  readonly control: string;
  readonly reason: string;
}

/**
 * The controls waived for every resource, with their reasons: the one list the validator, the
 * README's "Default settings" and its test read.
 */
const WAIVED_CONTROLS: readonly ControlWaiver[] = [
  {
    rule: 's3_bucket_object_lock_enabled_check',
    control: 'CT.S3.PR.9',
    reason:
      'Object Lock would stop the lifecycle rules that expire captured traffic, quarantined copies and noncurrent versions, and stop a stage with retainData off from being deleted; versioning keeps overwritten and deleted objects instead.',
  },
  {
    rule: 'sqs_dlq_check',
    control: 'CT.SQS.PR.1',
    reason:
      'Every queue of the platform is itself a dead-letter queue (failed events, invocations and schedules); its messages are kept 14 days and alarm, there is nowhere further to send them.',
  },
];

/** The bundled rule file of a control: CT.S3.PR.9 → ct-s3-pr-9 (.guard). */
export const ruleFile = (control: string) => control.toLowerCase().replace(/\./g, '-');

/**
 * Waived while no stage has a network (VPC mode off); met in VPC mode. In a config where only some
 * stages have one, acknowledged on each function of the others, so the rule still judges the rest.
 */
const OUTSIDE_VPC: ControlWaiver = {
  rule: 'lambda_inside_vpc_check',
  control: 'CT.LAMBDA.PR.3',
  reason: 'The functions reach only AWS APIs and run outside a VPC unless the stage has a network (VPC mode), so that no NAT or VPC endpoints are needed.',
};

/** The controls waived for a config: CT.LAMBDA.PR.3 only while no stage has a network. */
export const waivedControls = (someStageInVpc: boolean): ControlWaiver[] => [...WAIVED_CONTROLS, ...(someStageInVpc ? [] : [OUTSIDE_VPC])];

/** The control a resource meets at deploy time though the synth-time rule cannot see it, and why. */
interface Acknowledged extends ControlWaiver {
  readonly applies: (c: IConstruct) => boolean;
}

const cfnType = (c: IConstruct) => (c as { cfnResourceType?: string }).cfnResourceType;
const imported = (c: IConstruct, value: unknown) => typeof value === 'string' && Stack.of(c).resolve(value)?.['Fn::ImportValue'] !== undefined;
const IMPORTED_KEY =
  "its KMS key is the stage's key, imported from the data stack (Fn::ImportValue); the rule's template form accepts only a literal or a key of the same template, while the Control Tower hook at deploy sees the resolved key ARN (checked offline in that form: test/stacks/control-tower.test.ts).";

/**
 * Controls the access-log bucket does not meet, by necessity: reported as warnings, not errors,
 * and not acknowledged, since a Control Tower hook the organization enables refuses the bucket at
 * deploy all the same (README "Deploying into a landing zone", known limits).
 */
export const KNOWN_LIMITS: readonly ControlWaiver[] = [
  {
    rule: 's3_bucket_default_encryption_kms_check',
    control: 'CT.S3.PR.10',
    reason: "The access-log bucket is SSE-S3, the encryption S3's guide gives for a server-access-log destination.",
  },
  {
    rule: 's3_bucket_logging_enabled_check',
    control: 'CT.S3.PR.2',
    reason: 'The access-log bucket does not log into itself: it would log its own log deliveries without end.',
  },
];
const ACCESS_LOG_BUCKET = /\/AccessLogsBucket\/Resource$/;

/** Controls met by resources whose template form the rule cannot judge. */
const ACKNOWLEDGED: readonly Acknowledged[] = [
  {
    rule: 'sqs_queue_encrypted_check',
    control: 'CT.SQS.PR.2',
    reason: `The queue is encrypted: ${IMPORTED_KEY}`,
    applies: (c) => cfnType(c) === 'AWS::SQS::Queue' && imported(c, (c as sqs.CfnQueue).kmsMasterKeyId),
  },
  {
    rule: 'cloudwatch_log_group_encrypted_check',
    control: 'CT.CLOUDWATCH.PR.3',
    reason: `The log group is encrypted: ${IMPORTED_KEY}`,
    applies: (c) => cfnType(c) === 'AWS::Logs::LogGroup' && imported(c, (c as logs.CfnLogGroup).kmsKeyId),
  },
];

/** The construct path of a violating resource (the plugin gives template and logical id). */
function constructPath(app: App, r: { templatePath: string; resourceLogicalId: string }): string {
  const stackName = r.templatePath
    .split('/')
    .pop()!
    .replace(/\.template\.json$/, '');
  const stack = app.node.children.find((c): c is Stack => Stack.isStack(c) && c.artifactId === stackName);
  const resource = stack?.node.findAll().find((c) => CfnElement.isCfnElement(c) && stack.resolve(stack.getLogicalId(c)) === r.resourceLogicalId);
  return resource?.node.path ?? '';
}

/**
 * Acknowledges, on each resource it applies to, a control in {@link ACKNOWLEDGED}, and CT.LAMBDA.PR.3
 * on each function of `outsideVpc` (the report lists each with its reason).
 */
function acknowledgeControls(app: App, outsideVpc: readonly Stack[]): void {
  const acknowledge = (c: IConstruct, a: ControlWaiver) =>
    Validations.of(c).acknowledge({ id: `cdk-validator-cfnguard::${a.rule}`, reason: `${a.control}: ${a.reason}` });
  for (const c of app.node.findAll()) for (const a of ACKNOWLEDGED.filter((x) => x.applies(c))) acknowledge(c, a);
  for (const stack of outsideVpc) for (const c of stack.node.findAll().filter((x) => cfnType(x) === 'AWS::Lambda::Function')) acknowledge(c, OUTSIDE_VPC);
}

/**
 * AWS Control Tower's proactive controls, as the cfn-guard rules `@cdklabs/cdk-validator-cfnguard`
 * bundles, run on every template at synth (a devDependency, loaded only when asked for: it adds
 * seconds to each synth). Waived controls are disabled by rule name; controls met in a form the
 * rule cannot see are acknowledged on their resources, with the reason.
 */
export function controlTowerChecks(app: App, options: { outsideVpc?: readonly Stack[]; someStageInVpc?: boolean } = {}): IPolicyValidationPlugin {
  let validator: typeof import('@cdklabs/cdk-validator-cfnguard');
  try {
    validator = require('@cdklabs/cdk-validator-cfnguard') as typeof import('@cdklabs/cdk-validator-cfnguard');
  } catch {
    throw new Error(`-c ${CONTROL_TOWER_CONTEXT}=true needs the devDependency @cdklabs/cdk-validator-cfnguard: run npm ci (not --omit=dev)`);
  }
  const someStageInVpc = options.someStageInVpc ?? false;
  acknowledgeControls(app, someStageInVpc ? (options.outsideVpc ?? []) : []);
  // The plugin disables a rule by its file name, the control id (ct-s3-pr-9.guard).
  const waived = waivedControls(someStageInVpc).map((w) => ruleFile(w.control));
  const guard = new validator.CfnGuardValidator({ controlTowerRulesEnabled: true, disabledRules: waived });
  // At validation, the rules that judge none of the templates' resource types are left out too: they could only skip.
  const forTemplates = (templatePaths: readonly string[]) => {
    const types = new Set(
      templatePaths.flatMap((t) => Object.values((JSON.parse(readFileSync(t, 'utf8')).Resources ?? {}) as Record<string, { Type: string }>).map((r) => r.Type)),
    );
    return new validator.CfnGuardValidator({ controlTowerRulesEnabled: true, disabledRules: [...waived, ...rulesForOtherTypes(types)] });
  };
  // Its violations carry no severity. Once a violation is acknowledged, aws-cdk-lib recomputes the report's success from the
  // severities left, and without one every report would pass: each violation is an error, as the plugin reports it.
  // (A Beta1 plugin: the stage keeps one list for both kinds, which App's policyValidationBeta1 fills too.)
  return {
    name: guard.name,
    version: guard.version,
    ruleIds: guard.ruleIds,
    validate: (context: Parameters<typeof guard.validate>[0]) => {
      const report = forTemplates(context.templatePaths).validate(context);
      const violations = report.violations.map((v) => {
        const limit = KNOWN_LIMITS.some((k) => k.rule === v.ruleName) && v.violatingResources.every((r) => ACCESS_LOG_BUCKET.test(constructPath(app, r)));
        return { severity: limit ? 'warning' : 'error', ...v };
      });
      return { ...report, violations, success: violations.every((v) => v.severity !== 'error') };
    },
  } as unknown as IPolicyValidationPlugin;
}
