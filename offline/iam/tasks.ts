import type { Template } from 'aws-cdk-lib/assertions';
import type { SynthesizedAccount } from '../account';
import { sdkIntegration } from '../api-models';
import type { ObjectStore } from '../../lambdas/shared/object-store';
import { S3ObjectStore } from '../../lambdas/shared/s3-object-store';
import { type LocalAws, localClients } from '../local-aws';
import { localS3 } from '../local-services';
import type { MemoryObjectStore } from '../memory-store';
import { accountOf } from '../synth';
import { Authorizer } from './authorizer';
import { type Need, needsOf, type RoleUse, roleUseNeeds, type ServiceState, syncJobNeeds } from './requests';

type Json = Record<string, any>;
type TaskHandler = (input: any) => Promise<any>;

/** What a state machine's role needs for one Task state: invoking a Lambda, a `.sync` SageMaker job, or an AWS SDK integration. */
export function taskNeeds(account: SynthesizedAccount, resource: string, input: Json, state?: ServiceState): Need[] {
  if (resource.startsWith('arn:aws:lambda:')) return [{ action: 'lambda:InvokeFunction', resource }];
  const sync = /:states:::sagemaker:(createProcessingJob|createTrainingJob)\.sync$/.exec(resource);
  if (sync) return syncJobNeeds(account, sync[1] === 'createTrainingJob' ? 'TrainingJob' : 'ProcessingJob', input);
  const { service, operation } = sdkIntegration(resource);
  return needsOf(account, service, operation, input, state);
}

/** A synthesized state machine prepared for an offline run under its role's policies. */
export interface OfflineMachine {
  readonly account: SynthesizedAccount;
  readonly authorizer: Authorizer;
  readonly role: string;
  /** The definition with every reference resolved as CloudFormation would (real names and ARNs). */
  readonly definition: Json;
  /** The same handlers, each authorizing its task for the machine's role first (a denial throws AccessDenied). */
  authorized(handlers: Record<string, TaskHandler>, state?: ServiceState): Record<string, TaskHandler>;
  /** What SageMaker does with a role passed to it, authorized (for LocalSageMaker's guard). */
  asRole(role: string, use: RoleUse, via: string): Promise<void>;
  /** Authorizes one SDK call of the stack's function `<prefix>-<fn>` as its role. */
  asFunction(fn: string, service: string, operation: string, params: Json): Promise<void>;
  /** An object store over `store` that authorizes each S3 call as the function's role (the Lambdas' own S3 adapter on local clients). */
  storeOf(fn: string, store: MemoryObjectStore): ObjectStore;
  /** Throws when any request of the run was denied: the harnesses' scenarios never mean one. */
  assertNoDenials(): void;
}

/** The state machine of `template` whose logical id starts with `logicalIdPrefix`, in its stage's offline account. */
export function offlineMachine(template: Template, logicalIdPrefix: string): OfflineMachine {
  const account = accountOf(template);
  const r = account.resourcesOfType('AWS::StepFunctions::StateMachine').find((m) => m.logicalId.startsWith(logicalIdPrefix));
  if (!r) throw new Error(`no state machine ${logicalIdPrefix}* in the template`);
  const authorizer = new Authorizer(account);
  const definition = JSON.parse(account.resolve(r.properties.DefinitionString, r.stack)) as Json;
  const role = account.roleOf('stateMachine', account.ref(r.stack, r.logicalId));
  const functionRole = (fn: string) => {
    const f = account
      .resourcesOfType('AWS::Lambda::Function')
      .find((x) => x.stack === r.stack && String(account.resolve(x.properties.FunctionName, x.stack)).endsWith(`-${fn}`));
    if (!f) throw new Error(`no function *-${fn} in ${r.stack}`);
    return account.roleOf('function', account.ref(f.stack, f.logicalId));
  };
  const all = async (principal: string, needs: Need[], via: string) => {
    for (const n of needs) await authorizer.authorize({ principal, via, ...n });
  };
  return {
    account,
    authorizer,
    role,
    definition,
    authorized(handlers, state) {
      return Object.fromEntries(
        Object.entries(handlers).map(([name, handler]) => [
          name,
          async (input: Json) => {
            await all(role, taskNeeds(account, definition.States[name].Resource, input, state), `state ${name}`);
            return handler(input);
          },
        ]),
      );
    },
    asRole: (principal, use, via) => all(principal, roleUseNeeds(account, use), via),
    asFunction: (fn, service, operation, params) => all(functionRole(fn), needsOf(account, service, operation, params), `lambda ${fn} ${service}:${operation}`),
    storeOf(fn, store) {
      const unused = async () => {
        throw new Error(`${fn}: only S3 is local here`);
      };
      const aws: LocalAws = {
        account,
        authorizer,
        state: {},
        services: { s3: localS3(store), sagemaker: unused, sfn: unused, sns: unused, ssm: unused, cloudwatch: unused, eventbridge: unused },
      };
      return new S3ObjectStore(localClients(aws, functionRole(fn), `lambda ${fn}`).s3);
    },
    assertNoDenials() {
      const denied = authorizer.denied();
      if (denied.length > 0)
        throw new Error(`AWS would deny:\n${denied.map((d) => `  ${d.request.via}: ${d.request.action} on ${d.request.resource} (${d.reason})`).join('\n')}`);
    },
  };
}
