/**
 * The prod release's pre-traffic hook, end to end on the wire: the hook (real SDK clients) invokes
 * the new version through a fake Lambda API that runs the real serving handler against the
 * Bedrock and Pinecone fakes, then reports its verdict to a fake CodeDeploy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServingHandler } from '../../src/routes/serving-handler.js';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { ensureUsageTable } from '../../src/adapters/dynamodb/usage-table.js';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { PRE_TRAFFIC_PRINCIPAL } from '../../src/deploy/readiness-invoke.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { installLocalStreamingRuntime } from '../../src/local/lambda-streaming-runtime.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakeCodeDeploy, type FakeCodeDeploy } from '../fakes/fake-codedeploy.js';
import { RecordedLambdaResponse, startFakeLambda, type FakeLambda } from '../fakes/fake-lambda.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';

const TARGET = 'arn:aws:lambda:us-east-1:123456789012:function:rag-serving-prod-invocations:7';

let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let dynamo: EmbeddedDynamo;
let lambda: FakeLambda;
let codedeploy: FakeCodeDeploy;
let dataDir: string;
let crash = false;
let hook: (event: { DeploymentId: string; LifecycleEventHookExecutionId: string }) => Promise<void>;

beforeAll(async () => {
  installLocalStreamingRuntime();
  [bedrock, pinecone, dynamo, codedeploy] = await Promise.all([
    startFakeBedrock(),
    startFakePinecone({ dimension: 256 }),
    startEmbeddedDynamo(),
    startFakeCodeDeploy(),
  ]);
  await ensureSessionTable(dynamo.client, 'sessions');
  await ensureUsageTable(dynamo.client, 'usage');
  dataDir = await mkdtemp(join(tmpdir(), 'rag-hook-'));
  const serving = createServingHandler(
    await lambdaServingServices({
      RAG_BACKEND: 'fakes',
      RAG_DATA_DIR: dataDir,
      SESSION_TABLE_NAME: 'sessions',
      USAGE_TABLE_NAME: 'usage',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      BEDROCK_ENDPOINT: bedrock.endpoint,
      BEDROCK_EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      BEDROCK_EMBEDDING_DIMENSIONS: '256',
      BEDROCK_GENERATION_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      BEDROCK_GUARDRAIL_ID: 'gr-fake',
      BEDROCK_GUARDRAIL_VERSION: '1',
      PINECONE_HOST: pinecone.host,
      PINECONE_API_KEY: pinecone.apiKey,
      // As on Lambda: no token file, so only the request context can carry the admin principal.
      AWS_LAMBDA_FUNCTION_NAME: 'rag-serving-prod-invocations',
    }),
  ) as unknown as (event: unknown, stream: RecordedLambdaResponse, context: Context) => Promise<void>;
  lambda = await startFakeLambda({
    invoke: async (_name, event) => {
      if (crash) throw new Error('Runtime.ImportModuleError');
      const response = new RecordedLambdaResponse();
      await serving(event, response, { getRemainingTimeInMillis: () => 30_000 } as Context);
      return { payload: response.payload };
    },
  });
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('AWS_ENDPOINT_URL_LAMBDA', lambda.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_CODEDEPLOY', codedeploy.endpoint);
  vi.stubEnv('PRE_TRAFFIC_TARGET_ARN', TARGET);
  ({ handler: hook } = await import('../../functions/pre-traffic-hook/handler.js'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([
    bedrock?.close(),
    pinecone?.close(),
    dynamo?.close(),
    lambda?.close(),
    codedeploy?.close(),
  ]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  crash = false;
  bedrock.setFault({ accessDenied: 0, faultOperations: undefined });
});

const release = (id: string) => ({ DeploymentId: `d-${id}`, LifecycleEventHookExecutionId: `hook-${id}` });

describe('Pre-traffic hook', () => {
  it('lets the release go on when the new version reaches every backend', async () => {
    // Act
    await hook(release('healthy'));

    // Assess
    expect(codedeploy.reports.at(-1)).toEqual({
      deploymentId: 'd-healthy',
      lifecycleEventHookExecutionId: 'hook-healthy',
      status: 'Succeeded',
    });
    const invoked = lambda.invocations.at(-1)!;
    expect(invoked.functionName).toBe(TARGET);
    expect(invoked.event).toMatchObject({
      resource: '/health',
      queryStringParameters: { deep: 'true' },
      requestContext: { authorizer: { principalId: PRE_TRAFFIC_PRINCIPAL, scopes: 'admin' } },
    });
    expect(bedrock.requests.some((r) => r.operation === 'Converse')).toBe(true);
  });

  it('fails the release when the new version may not call its model', async () => {
    // Prepare
    bedrock.setFault({ accessDenied: 1, faultOperations: ['Converse'] });

    // Act
    await hook(release('denied'));

    // Assess
    expect(codedeploy.reports.at(-1)).toMatchObject({ deploymentId: 'd-denied', status: 'Failed' });
  });

  it('fails the release when the new version does not even start', async () => {
    // Prepare
    crash = true;

    // Act
    await hook(release('crashed'));

    // Assess
    expect(codedeploy.reports.at(-1)).toMatchObject({ deploymentId: 'd-crashed', status: 'Failed' });
  });
});
