/**
 * `npm run preflight -- --stage <dev|qa|prod> [--settings-file stages.json] [--json]`
 *
 * Checks, with the caller's credentials and read-only calls, everything a deploy of the stage and
 * its first request need: the CDK bootstrap, API Gateway's account role, Lambda concurrency for
 * provisioned concurrency, the Bedrock models (and their Marketplace subscription), an existing
 * guardrail, the Pinecone key secret and the index's dimension and metric. One line per check,
 * with the fix of each that fails; exit status 1 while anything blocks, 2 for bad usage.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Command, CommanderError } from 'commander';
import { resolveStageConfig, settingsFileLayer } from '../lib/config/stage-settings.js';
import { isStageName, STAGE_NAMES } from '../lib/config/stages.js';
import { runPreflight, type CheckResult, type PreflightClients } from '../src/deploy/preflight-checks.js';
import { DEFAULT_SETTINGS_FILE } from './settings-file.js';

export interface PreflightIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** @default clients for the stage's region with the default credential chain */
  readonly clients?: (region: string) => PreflightClients;
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

function awsClients(region: string, env: NodeJS.ProcessEnv): PreflightClients {
  return {
    ssm: new SSMClient({ region }),
    apiGateway: new APIGatewayClient({ region }),
    lambda: new LambdaClient({ region }),
    bedrock: new BedrockClient({ region }),
    secrets: new SecretsManagerClient({ region }),
    describePineconeIndex: async (apiKey, indexName) => {
      const { Pinecone } = await import('@pinecone-database/pinecone');
      const controllerHostUrl = env.PINECONE_CONTROLLER_HOST;
      const index = await new Pinecone({
        apiKey,
        ...(controllerHostUrl && { controllerHostUrl }),
      }).describeIndex(indexName);
      return {
        ...(index.dimension !== undefined && { dimension: index.dimension }),
        metric: index.metric,
        host: index.host,
      };
    },
  };
}

/** Runs the command; resolves to the exit status. */
export async function runPreflightCommand(argv: readonly string[], io: PreflightIo): Promise<number> {
  const env = io.env ?? process.env;
  const program = new Command()
    .name('preflight')
    .description('Check an AWS account and region before the first deploy of a stage.')
    .requiredOption('--stage <name>', `the stage: ${STAGE_NAMES.join(', ')}`)
    .option('--settings-file <path>', 'stage settings merged over the defaults', DEFAULT_SETTINGS_FILE)
    .option('--json', 'print the results as JSON')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });
  let options: { stage: string; settingsFile: string; json?: boolean };
  try {
    options = program.parse([...argv]).opts();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  if (!isStageName(options.stage)) {
    io.err(`preflight: unknown stage '${options.stage}': use one of ${STAGE_NAMES.join(', ')}`);
    return 2;
  }
  let config;
  try {
    config = resolveStageConfig(options.stage, [settingsFileLayer(options.settingsFile, options.stage)]);
  } catch (error) {
    io.err(`preflight: ${(error as Error).message}`);
    return 2;
  }
  const region = config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    io.err(
      `preflight: no region for stage ${config.stage}: set AWS_REGION (or "region" of the stage in stages.json)`,
    );
    return 2;
  }
  const results = await runPreflight((io.clients ?? ((r) => awsClients(r, env)))(region), {
    ...config,
    region,
  });
  const blocking = results.filter((r) => r.status === 'fail').length;
  if (options.json) {
    io.out(JSON.stringify({ stage: config.stage, region, blocking, results }, null, 2));
  } else {
    io.out(`Preflight of stage ${config.stage} in ${region}`);
    const width = Math.max(...results.map((r) => r.name.length));
    for (const result of results) {
      io.out(`${MARK[result.status]}  ${result.name.padEnd(width)}  ${result.detail}`);
      if (result.fix && result.status !== 'ok') io.out(`${' '.repeat(6 + width)}  fix: ${result.fix}`);
    }
    io.out(
      blocking === 0
        ? 'Nothing blocks a deploy of this stage.'
        : `${blocking} ${blocking === 1 ? 'check blocks' : 'checks block'} a deploy or the first request.`,
    );
  }
  return blocking === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runPreflightCommand(process.argv, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
