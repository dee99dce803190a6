#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildPlatform } from '../lib/app';
import { FEATURE_FLAGS } from '../lib/feature-flags';
import { ConfigError, loadConfig } from '../lib/config/load';

const app = new App({ context: FEATURE_FLAGS });
try {
  const file = app.node.tryGetContext('config') as string | undefined;
  const inline = app.node.tryGetContext('mlops') as unknown;
  buildPlatform(app, loadConfig({ file, inline: typeof inline === 'string' ? JSON.parse(inline) : inline }));
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`\n${e.message}\n\n`);
    process.exit(1);
  }
  throw e;
}
app.synth();
