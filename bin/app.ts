/**
 * CDK app: `cdk synth|deploy -c stage=<dev|qa|prod>` (default dev).
 *
 * Offline synth needs no AWS credentials, only a region:
 *   CDK_DISABLE_CLI_TELEMETRY=true AWS_REGION=us-east-1 npx cdk synth -c stage=dev --quiet
 * (cdk.json also sets "notices": false and "cli-telemetry": false.)
 * cdk-nag AwsSolutions checks run as a validation plugin: an unacknowledged finding fails synth.
 *
 * Stage settings: the built-in defaults of lib/config/stages.ts, then the stage's entry in
 * stages.json beside cdk.json, then context `stageSettings` (lib/config/stage-settings.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  SETTINGS_CONTEXT,
  SETTINGS_FILE_CONTEXT,
  STAGE_SETTINGS_FILE,
  contextLayer,
  resolveStageConfig,
  settingsFileLayer,
} from '../lib/config/stage-settings.js';
import { isStageName, type StageConfig } from '../lib/config/stages.js';
import { ACCOUNT_STACK_NAME, AccountStack } from '../lib/stacks/account-stack.js';
import { JobsStack } from '../lib/stacks/jobs-stack.js';
import { ServingStack } from '../lib/stacks/serving-stack.js';
import { StatefulStack } from '../lib/stacks/stateful-stack.js';
import { jobsStackName, servingStackName, statefulStackName } from '../src/shared/stack-outputs.js';
import { DEFAULT_SETTINGS_FILE } from './settings-file.js';

export const DEFAULT_STAGE = 'dev';

export interface RagServingApp {
  readonly config: StageConfig;
  /** Absent when the stage opts out (`api.accountCloudWatchRole: 'existing'`). */
  readonly account?: AccountStack;
  readonly stateful: StatefulStack;
  readonly serving: ServingStack;
  readonly jobs: JobsStack;
}

/** Adds the stage chosen by the `stage` context value (default dev) to `app`, with cdk-nag checks. */
export function buildApp(app: App): RagServingApp {
  const config = stageConfigOf(app);
  // Empty variables count as unset: an account of '' would make every grant look cross-account.
  const region = config.region ?? (process.env.CDK_DEFAULT_REGION || undefined);
  if (!region) {
    throw new Error(
      `No region for stage '${config.stage}': set "region" of the stage in ${STAGE_SETTINGS_FILE} or AWS_REGION (the CDK CLI passes it as CDK_DEFAULT_REGION)`,
    );
  }
  const env = { region, account: config.account ?? (process.env.CDK_DEFAULT_ACCOUNT || undefined) };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Tags.of(app).add('project', 'rag-serving');

  // Shared by every stage of the account and region, so it carries no stage tag.
  const account =
    config.api.accountCloudWatchRole === 'existing'
      ? undefined
      : new AccountStack(app, ACCOUNT_STACK_NAME, {
          env,
          description:
            'rag-serving: the account-wide API Gateway CloudWatch role (once per account and region)',
        });
  const stateful = new StatefulStack(app, statefulStackName(config.stage), {
    env,
    config,
    terminationProtection: config.terminationProtection,
    description: `rag-serving ${config.stage}: tables and other data`,
  });
  const serving = new ServingStack(app, servingStackName(config.stage), {
    env,
    config,
    sessionTable: stateful.sessions.table,
    tokenTable: stateful.tokens.table,
    usageTable: stateful.usage.table,
    pineconeApiKey: stateful.pineconeApiKey,
    version: packageVersion(),
    terminationProtection: config.terminationProtection,
    description: `rag-serving ${config.stage}: API and functions`,
  });
  serving.addStackDependency(stateful, 'the functions use the tables of the stateful stack');
  if (account) serving.addStackDependency(account, 'API access logging needs the account CloudWatch role');
  const jobs = new JobsStack(app, jobsStackName(config.stage), {
    env,
    config,
    jobsTable: stateful.jobs.table,
    sessionTable: stateful.sessions.table,
    pineconeApiKey: stateful.pineconeApiKey,
    alarmTopic: serving.alarmTopic.topic,
    guardrail: serving.appliedGuardrail,
    terminationProtection: config.terminationProtection,
    description: `rag-serving ${config.stage}: documents bucket, ingestion and batch answers jobs`,
  });
  jobs.addStackDependency(serving, "the jobs' alarms notify the serving stack's alarm topic");
  for (const stack of [stateful, serving, jobs]) Tags.of(stack).add('stage', config.stage);
  return { config, ...(account && { account }), stateful, serving, jobs };
}

/**
 * The stage named by context `stage` (default dev): its built-in defaults, then its settings in
 * stages.json (or the file named by context `stageSettingsFile`), then context `stageSettings`.
 */
export function stageConfigOf(app: App): StageConfig {
  const stage: unknown = app.node.tryGetContext('stage') ?? DEFAULT_STAGE;
  const file: unknown = app.node.tryGetContext(SETTINGS_FILE_CONTEXT) ?? DEFAULT_SETTINGS_FILE;
  return resolveStageConfig(stage, [
    isStageName(stage) ? settingsFileLayer(String(file), stage) : undefined,
    contextLayer(app.node.tryGetContext(SETTINGS_CONTEXT)),
  ]);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const app = new App();
  buildApp(app);
  app.synth();
}
