/**
 * `npm run preflight -- --stage <name>` against local stand-ins only: moto_server for SSM (the CDK
 * bootstrap version), API Gateway (GetAccount) and Secrets Manager; small fakes for what moto
 * lacks (Lambda GetAccountSettings, the Bedrock control plane, Pinecone's DescribeIndex).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPreflightCommand } from '../../bin/preflight.js';
import { startFakeBedrockControl, type FakeBedrockControl } from '../fakes/fake-bedrock-control.js';
import { startFakeLambda, type FakeLambda } from '../fakes/fake-lambda.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { MOTO_ENVIRONMENT, startMotoServer, type MotoServer } from '../support/moto-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let moto: MotoServer;
let lambda: FakeLambda;
let bedrock: FakeBedrockControl;
let pinecone: FakePinecone;
let settingsDir: string;
let environment: Record<string, string>;

beforeAll(async () => {
  [moto, lambda, bedrock, pinecone] = await Promise.all([
    startMotoServer(),
    // A fresh account: Lambda's reduced concurrency.
    startFakeLambda({ accountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } }),
    startFakeBedrockControl(),
    startFakePinecone({ dimension: 1024, indexName: 'rag-serving-dev' }),
  ]);
  settingsDir = await mkdtemp(join(tmpdir(), 'rag-preflight-'));
  environment = {
    ...MOTO_ENVIRONMENT,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_ENDPOINT_URL_BEDROCK: bedrock.endpoint,
    PINECONE_CONTROLLER_HOST: pinecone.host,
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([moto?.close(), lambda?.close(), bedrock?.close(), pinecone?.close()]);
  if (settingsDir) await rm(settingsDir, { recursive: true, force: true });
});

async function preflight(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPreflightCommand(['node', 'preflight', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: environment,
  });
  return { code, out, text: out.join('\n'), err };
}

const line = (text: string, check: string) => text.split('\n').find((l) => l.includes(check)) ?? '';

async function settings(name: string, content: unknown): Promise<string> {
  const path = join(settingsDir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

describe('Preflight of a stage', () => {
  it('reports every missing piece of a fresh account with its fix, and exits non-zero', async () => {
    // Act
    const { code, text } = await preflight(
      '--stage',
      'dev',
      '--settings-file',
      join(settingsDir, 'none.json'),
    );

    // Assess
    expect(code).toBe(1);
    expect(text).toMatch(/^Preflight of stage dev in us-east-1$/m);
    expect(line(text, 'CDK bootstrap')).toMatch(/^FAIL {2}CDK bootstrap +us-east-1 is not bootstrapped$/);
    expect(text).toContain('fix: run npx cdk bootstrap aws://<account>/us-east-1');
    expect(line(text, 'API Gateway CloudWatch role')).toMatch(
      /^ok {4}.*the rag-serving-account stack creates it$/,
    );
    expect(line(text, 'Lambda concurrency')).toMatch(/^warn {2}.*only 10 functions at once/);
    expect(line(text, 'Pinecone API key secret')).toMatch(
      /^FAIL .*secret rag-serving\/dev\/pinecone-api-key does not exist in us-east-1$/,
    );
    expect(text).toContain(
      "fix: aws secretsmanager create-secret --name rag-serving/dev/pinecone-api-key --secret-string '<pinecone api key>' --region us-east-1",
    );
    expect(line(text, 'Bedrock model us.amazon.nova-lite-v1:0')).toMatch(/^ok /);
    expect(text).toMatch(/^2 checks block a deploy or the first request\.$/m);
  });

  it('passes once the account is bootstrapped and the secret holds a key for an index that fits', async () => {
    // Prepare
    await new SSMClient({}).send(
      new PutParameterCommand({
        Name: '/cdk-bootstrap/hnb659fds/version',
        Value: '30',
        Type: 'String',
        Overwrite: true,
      }),
    );
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: 'rag-serving/dev/pinecone-api-key',
        SecretString: JSON.stringify({ apiKey: pinecone.apiKey }),
      }),
    );
    lambda.setAccountLimit({ ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 });

    // Act
    const { code, text } = await preflight(
      '--stage',
      'dev',
      '--settings-file',
      join(settingsDir, 'none.json'),
    );

    // Assess
    expect(code).toBe(0);
    expect(text).not.toMatch(/^(FAIL|warn)/m);
    expect(line(text, 'Pinecone index rag-serving-dev')).toMatch(
      /^ok .*dimension 1024, cosine, host (http:\/\/)?127\.0\.0\.1:\d+$/,
    );
    expect(text).toMatch(/^Nothing blocks a deploy of this stage\.$/m);
    // The key was sent to Pinecone, and never printed.
    expect(pinecone.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/indexes/rag-serving-dev',
      apiKey: pinecone.apiKey,
    });
    expect(text).not.toContain(pinecone.apiKey);
  });

  it("names what blocks prod: concurrency for its provisioned minimum, an unsubscribed model, a guardrail and an index that don't fit", async () => {
    // Prepare
    lambda.setAccountLimit({ ConcurrentExecutions: 50, UnreservedConcurrentExecutions: 50 });
    bedrock.setModel('anthropic.claude-haiku-4-5-20251001-v1:0', {
      entitlementAvailability: 'NOT_AVAILABLE',
      agreementStatus: 'NOT_AVAILABLE',
    });
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'rag-serving/prod/pinecone-api-key', SecretString: pinecone.apiKey }),
    );
    const file = await settings('prod.json', {
      prod: {
        guardrail: { create: null, existing: { id: 'abc123def', version: '2' } },
        models: { embeddingModelId: 'cohere.embed-v4:0' },
        pinecone: { indexName: 'rag-serving-dev' },
      },
    });

    // Act
    const { code, text } = await preflight('--stage', 'prod', '--settings-file', file);

    // Assess
    expect(code).toBe(1);
    expect(line(text, 'Lambda concurrency')).toMatch(
      /^FAIL .*50 unreserved executions; provisioned concurrency of 2 .* must leave at least 100/,
    );
    expect(text).toContain(
      'fix: request at least 120 concurrent executions (Service Quotas: AWS Lambda "Concurrent executions" (L-B99A9384)',
    );
    expect(line(text, 'Bedrock model us.anthropic.claude-haiku-4-5-20251001-v1:0')).toMatch(
      /^FAIL .*is not subscribed yet .*AWS Marketplace on their first call$/,
    );
    expect(text).toContain('aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions');
    expect(line(text, 'Bedrock guardrail')).toMatch(
      /^FAIL .*guardrail abc123def version 2 does not exist in us-east-1$/,
    );
    expect(line(text, 'Pinecone index rag-serving-dev')).toMatch(
      /^FAIL .*dimension 1024 but cohere\.embed-v4:0 writes 1536$/,
    );
    expect(text).toMatch(/^4 checks block a deploy or the first request\.$/m);
  });

  it("fails when the stage says the account's API Gateway role exists and it does not", async () => {
    // Prepare
    const file = await settings('existing-role.json', {
      dev: { api: { accountCloudWatchRole: 'existing' } },
    });

    // Act
    const { code, text } = await preflight('--stage', 'dev', '--settings-file', file);

    // Assess
    expect(code).toBe(1);
    expect(line(text, 'API Gateway CloudWatch role')).toMatch(
      /^FAIL .*no CloudWatch role is set for API Gateway/,
    );
    expect(text).toContain('fix: set "api": {"accountCloudWatchRole": "create"} for dev in stages.json');
  });

  it('runs as npm run preflight and exits with its verdict', async () => {
    // Prepare: qa's secret does not exist.
    const run = spawn(
      'npm',
      ['run', '-s', 'preflight', '--', '--stage', 'qa', '--settings-file', join(settingsDir, 'none.json')],
      {
        cwd: ROOT,
        env: { ...process.env, ...environment },
      },
    );
    let stdout = '';
    run.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));

    // Act
    const exitCode = await new Promise<number | null>((resolve) => run.once('exit', resolve));

    // Assess
    expect(exitCode).toBe(1);
    expect(stdout).toMatch(
      /^FAIL {2}Pinecone API key secret .*rag-serving\/qa\/pinecone-api-key does not exist/m,
    );
  });

  it('refuses an unknown stage with usage status 2', async () => {
    // Act
    const { code, err } = await preflight('--stage', 'staging');

    // Assess
    expect(code).toBe(2);
    expect(err).toEqual(["preflight: unknown stage 'staging': use one of dev, qa, prod"]);
  });
});
