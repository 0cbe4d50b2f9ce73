/**
 * CDK app: `cdk synth|deploy -c stage=<dev|qa|prod>` (default dev).
 *
 * Offline synth needs no AWS credentials, only a region:
 *   CDK_DISABLE_CLI_TELEMETRY=true AWS_REGION=us-east-1 npx cdk synth -c stage=dev --quiet
 * (cdk.json also sets "notices": false and "cli-telemetry": false.)
 * cdk-nag AwsSolutions checks run as a validation plugin: an unacknowledged finding fails synth.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { getStageConfig } from '../lib/config/stages.js';
import type { StageConfig } from '../lib/config/stages.js';
import { JobsStack } from '../lib/stacks/jobs-stack.js';
import { ServingStack } from '../lib/stacks/serving-stack.js';
import { StatefulStack } from '../lib/stacks/stateful-stack.js';

export const DEFAULT_STAGE = 'dev';

export interface RagServingApp {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly serving: ServingStack;
  readonly jobs: JobsStack;
}

/** Adds the stage chosen by the `stage` context value (default dev) to `app`, with cdk-nag checks. */
export function buildApp(app: App): RagServingApp {
  const config = getStageConfig(app.node.tryGetContext('stage') ?? DEFAULT_STAGE);
  // Empty variables count as unset: an account of '' would make every grant look cross-account.
  const region = config.region ?? (process.env.CDK_DEFAULT_REGION || undefined);
  if (!region) {
    throw new Error(
      `No region for stage '${config.stage}': set region in lib/config/stages.ts or AWS_REGION (the CDK CLI passes it as CDK_DEFAULT_REGION)`,
    );
  }
  const env = { region, account: config.account ?? (process.env.CDK_DEFAULT_ACCOUNT || undefined) };
  const prefix = `rag-serving-${config.stage}`;

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Tags.of(app).add('project', 'rag-serving');
  Tags.of(app).add('stage', config.stage);

  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    env,
    config,
    terminationProtection: config.terminationProtection,
    description: `rag-serving ${config.stage}: tables and other data`,
  });
  const serving = new ServingStack(app, `${prefix}-serving`, {
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
  const jobs = new JobsStack(app, `${prefix}-jobs`, {
    env,
    config,
    jobsTable: stateful.jobs.table,
    sessionTable: stateful.sessions.table,
    pineconeApiKey: stateful.pineconeApiKey,
    alarmTopic: serving.alarmTopic.topic,
    terminationProtection: config.terminationProtection,
    description: `rag-serving ${config.stage}: documents bucket, ingestion and batch answers jobs`,
  });
  jobs.addStackDependency(serving, "the jobs' alarms notify the serving stack's alarm topic");
  return { config, stateful, serving, jobs };
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
