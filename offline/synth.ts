import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPlatform, cdkContextFile, type PlatformStacks, stacksOf } from '../lib/app';
import { loadConfig } from '../lib/config/load';
import { deepMerge } from '../lib/config/merge';
import type { PlatformConfig } from '../lib/config/schema';
import { parseConfig } from '../lib/config/load';
import { DEFAULT_CONFIG } from '../lib/config/defaults';
import { FEATURE_FLAGS } from '../lib/feature-flags';
import { SynthesizedAccount } from './account';

export interface Synthesized {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly stages: Map<string, PlatformStacks>;
  template(stack: Stack): Template;
  /** One stage's stacks as one offline account. */
  account(stage: PlatformStacks): SynthesizedAccount;
}

/**
 * The default build, made once per worker and shared by every file that asks for it (vitest runs
 * without isolation, so the module cache lives across files). Tests only read templates.
 */
let defaultBuild: Synthesized | undefined;

export interface SynthOptions {
  readonly nag?: boolean;
  readonly file?: string;
  readonly inline?: unknown;
  /** Context lookups (a VPC looked up by id), over those of ./cdk.context.json. */
  readonly lookups?: Readonly<Record<string, unknown>>;
}

/**
 * Builds the platform for a config (defaults, or defaults merged with an override), no cdk-nag.
 * A VPC that is not in the lookups fails the build, naming the field (the CLI would look it up).
 */
export function synthPlatform(override?: unknown, options: SynthOptions = {}): Synthesized {
  if (override === undefined && !options.file && options.inline === undefined && !options.nag && !options.lookups) {
    defaultBuild ??= build(override, options);
    return defaultBuild;
  }
  return build(override, options);
}

function build(override: unknown, options: SynthOptions): Synthesized {
  const config =
    options.file || options.inline !== undefined
      ? loadConfig({ file: options.file, inline: options.inline })
      : override === undefined
        ? loadConfig()
        : parseConfig(deepMerge(DEFAULT_CONFIG, override));
  const context = { ...cdkContextFile(), ...options.lookups, ...FEATURE_FLAGS };
  const app = new App({ context, outdir: mkdtempSync(join(tmpdir(), 'mlops-synth-')) });
  const stages = buildPlatform(app, config, { nag: options.nag ?? false, requireLookups: true });
  const cache = new Map<Stack, Template>();
  const synthesized: Synthesized = {
    app,
    config,
    stages,
    template(stack) {
      if (!cache.has(stack)) {
        const template = Template.fromStack(stack);
        cache.set(stack, template);
        const stage = [...stages.values()].find((st) => stacksOf(st).includes(stack))!;
        ACCOUNT_OF.set(template, () => (accounts.get(stage) ?? accounts.set(stage, synthesized.account(stage)).get(stage))!);
      }
      return cache.get(stack)!;
    },
    account(stage) {
      // A stage that names its account is that account offline too (its templates hold the number literally).
      const id = /^\d{12}$/.test(stage.data.account) ? stage.data.account : undefined;
      return new SynthesizedAccount(
        stacksOf(stage).map((st) => ({ stackName: st.stackName, template: synthesized.template(st).toJSON() })),
        id,
      );
    },
  };
  const accounts = new Map<PlatformStacks, SynthesizedAccount>();
  return synthesized;
}

const ACCOUNT_OF = new WeakMap<Template, () => SynthesizedAccount>();

/** The offline account of the stage a template (made by {@link synthPlatform}) belongs to, built once. */
export function accountOf(template: Template): SynthesizedAccount {
  const account = ACCOUNT_OF.get(template);
  if (!account) throw new Error('accountOf: the template was not made by synthPlatform(...).template(stack)');
  return account();
}
