#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildPlatform } from '../lib/app';
import { CONTROL_TOWER_CONTEXT } from '../lib/control-tower';
import { FEATURE_FLAGS } from '../lib/feature-flags';
import { ConfigError, loadConfig } from '../lib/config/load';

const app = new App({ context: FEATURE_FLAGS });
try {
  const file = app.node.tryGetContext('config') as string | undefined;
  const inline = app.node.tryGetContext('mlops') as unknown;
  const controlTower = String(app.node.tryGetContext(CONTROL_TOWER_CONTEXT) ?? 'false') === 'true';
  buildPlatform(app, loadConfig({ file, inline: typeof inline === 'string' ? JSON.parse(inline) : inline }), { controlTower });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`\n${e.message}\n\n`);
    process.exit(1);
  }
  throw e;
}
try {
  app.synth();
} catch (e) {
  // cdk-nag or the Control Tower checks refused a template: the report is printed above; its path is in the message.
  if (!/Validation failed/.test(String((e as Error).message))) throw e;
  process.stderr.write(`\n${(e as Error).message.replace(/^«ValidationFailed» /, '')}\n`);
  process.exit(1);
}
