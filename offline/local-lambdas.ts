import { handlerWith as triggerHandler } from '../lambdas/dataset-trigger/handler';
import { handlerWith as deploymentHandler } from '../lambdas/deployment/handler';
import { handlerWith as driftHandler } from '../lambdas/drift-check/handler';
import { handlerWith as cleanupHandler } from '../lambdas/endpoint-cleanup/handler';
import { handlerWith as approvalHandler } from '../lambdas/model-approval/handler';
import { handlerWith as notifyHandler } from '../lambdas/notify/handler';
import { handlerWith as gateHandler } from '../lambdas/quality-gate/handler';
import { handlerWith as promoteHandler } from '../lambdas/promote-model/handler';
import { handlerWith as retrainHandler } from '../lambdas/retrain/handler';
import { handlerWith as validateHandler } from '../lambdas/validate-dataset/handler';
import type { FunctionName } from '../lib/constructs/lambda-bundles';
import type { localClients } from './local-aws';

/** A function's handler module as deployed (its handlerWith), over the offline cloud's clients and its synthesized environment. */
export function deployedHandler(
  handler: FunctionName,
  c: ReturnType<typeof localClients>,
  env: NodeJS.ProcessEnv,
  now: () => Date,
): (event: any) => Promise<any> {
  switch (handler) {
    case 'dataset-trigger':
      return triggerHandler(c, env);
    case 'validate-dataset':
      return validateHandler(c, env, now);
    case 'quality-gate':
      return gateHandler(c, env);
    case 'notify':
      return notifyHandler(c, env);
    case 'model-approval':
      return approvalHandler(c, env);
    case 'retrain':
      return retrainHandler(c, env, now);
    case 'deployment':
      return deploymentHandler(c, env);
    case 'drift-check':
      return driftHandler(c, env);
    case 'endpoint-cleanup':
      return cleanupHandler(c);
    case 'promote-model':
      return promoteHandler(c, env);
  }
}
