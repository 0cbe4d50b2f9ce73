/**
 * Failures that say what they are (issue: first deploy), through the cloud adapters and the
 * wire-level fakes: a misconfigured backend answers 500 BACKEND_MISCONFIGURED naming the fix and
 * counts in its own metric, an outage stays 503 with Retry-After, and a streamed answer's metrics
 * are final at its last byte and published within the same request.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { MetricName } from '../../src/shared/metrics.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { startFakeSecretsManager, type FakeSecretsManager } from '../fakes/fake-secrets-manager.js';
import { issueTestToken, startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
const GENERATION_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const DIMENSIONS = 256;

let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let secrets: FakeSecretsManager;
let cloud: TestServer;
let keyless: TestServer;
let docs: string;
/** Every EMF document the handler printed, in order. */
const published: Record<string, unknown>[] = [];

const cloudEnvironment = () => ({
  RAG_BACKEND: 'fakes',
  RAG_REQUEST_TIMEOUT_MS: '5000',
  BEDROCK_ENDPOINT: bedrock.endpoint,
  BEDROCK_EMBEDDING_MODEL_ID: EMBEDDING_MODEL,
  BEDROCK_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
  BEDROCK_GENERATION_MODEL_ID: GENERATION_MODEL,
  BEDROCK_GUARDRAIL_ID: 'gr-fake',
  BEDROCK_GUARDRAIL_VERSION: '1',
  PINECONE_HOST: pinecone.host,
  PINECONE_NAMESPACE: '',
});

beforeAll(async () => {
  // The handler's metrics, printed through the global console where the spy below reads them.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  [bedrock, pinecone, secrets] = await Promise.all([
    startFakeBedrock(),
    startFakePinecone({ dimension: DIMENSIONS }),
    startFakeSecretsManager(),
  ]);
  docs = await mkdtemp(join(tmpdir(), 'rag-misconfigured-docs-'));
  await writeFile(join(docs, 'sessions.md'), '# Sessions\n\nA session keeps its turns for thirty days.\n');
  const client = bedrockRuntimeClient({ endpoint: bedrock.endpoint });
  await ingestFolder({
    dir: docs,
    source: 'docs',
    embedder: new BedrockEmbedder({ modelId: EMBEDDING_MODEL, dimensions: DIMENSIONS, client }),
    index: new PineconeVectorIndex({ host: pinecone.host, apiKey: fixedApiKey(pinecone.apiKey) }),
  });
  client.destroy();
  [cloud, keyless] = await Promise.all([
    startTestServer({ environment: { ...cloudEnvironment(), PINECONE_API_KEY: pinecone.apiKey } }),
    // The key is to come from a secret nobody created.
    startTestServer({
      environment: {
        ...cloudEnvironment(),
        PINECONE_API_KEY_SECRET_ID: 'rag-serving/dev/pinecone-api-key',
        SECRETS_MANAGER_ENDPOINT: secrets.endpoint,
      },
    }),
  ]);
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    const text = String(line);
    if (text.includes('"_aws"')) published.push(JSON.parse(text) as Record<string, unknown>);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await Promise.all([cloud?.stop(), keyless?.stop()]);
  await Promise.all([bedrock?.close(), pinecone?.close(), secrets?.close()]);
  if (docs) await rm(docs, { recursive: true, force: true });
});
beforeEach(() => {
  published.length = 0;
  bedrock.requests.length = 0;
});
afterEach(() => {
  bedrock.setFault({
    throttle: 0,
    serverErrors: 0,
    accessDenied: 0,
    latencyMs: 0,
    faultOperations: undefined,
    guardrail: 'pass',
  });
  pinecone.setFault({ status: undefined, times: undefined });
});

/** The sum of a metric over the EMF documents printed since the test began. */
function metricSum(name: string): number {
  return published.reduce((sum, doc) => {
    const value = doc[name];
    if (value === undefined) return sum;
    return sum + (Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value));
  }, 0);
}

/** The values of a metric (one per request) printed since the test began. */
function metricValues(name: string): number[] {
  return published.flatMap((doc) => {
    const value = doc[name];
    return value === undefined ? [] : Array.isArray(value) ? (value as number[]) : [Number(value)];
  });
}

const ask = (server: TestServer, query: string) =>
  server.invoke({ dataframe_records: [{ query, session_id: `s-${Math.random().toString(36).slice(2)}` }] });

describe('A misconfigured backend', () => {
  it('answers 500 BACKEND_MISCONFIGURED without Retry-After when Bedrock denies access, and counts it', async () => {
    // Prepare
    bedrock.setFault({ accessDenied: 1, faultOperations: ['Converse'] });

    // Act
    const response = await ask(cloud, 'How long do sessions live?');

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    const body = (await response.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('BACKEND_MISCONFIGURED');
    expect(body.message).toMatch(
      new RegExp(
        `^Bedrock is misconfigured: access to model '${GENERATION_MODEL}' was denied \\(AccessDeniedException\\)\\. ` +
          "The function's role needs bedrock:InvokeModel .*AWS Marketplace subscription.*npm run preflight",
      ),
    );
    expect(metricSum(MetricName.backendMisconfigured)).toBe(1);
    expect(metricSum(MetricName.serverErrors)).toBe(1);
    expect(metricSum(MetricName.requests)).toBe(1);
    // Access denied is not retried: one Converse call, not three.
    expect(bedrock.requests.filter((r) => r.operation === 'Converse' && r.status === 403)).toHaveLength(1);
  });

  it('still answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when Bedrock throttles, and is not counted as one', async () => {
    // Prepare
    bedrock.setFault({ throttle: 100, faultOperations: ['Converse'] });

    // Act
    const response = await ask(cloud, 'How long do sessions live?');

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(((await response.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(metricSum(MetricName.backendMisconfigured)).toBe(0);
    expect(metricSum(MetricName.serverErrors)).toBe(1);
  });

  it.each([
    [401, /^Pinecone is misconfigured: it refused the API key \(401\)/],
    [404, /^Pinecone is misconfigured: index 'http:\/\/127\.0\.0\.1:\d+' was not found \(404\)/],
  ] as const)('answers 500 naming the fix when Pinecone answers %i', async (status, message) => {
    // Prepare
    pinecone.setFault({ status, times: 1 });

    // Act
    const response = await ask(cloud, 'How long do sessions live?');

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    const body = (await response.json()) as { error_code: string; message: string };
    expect(body).toMatchObject({ error_code: 'BACKEND_MISCONFIGURED' });
    expect(body.message).toMatch(message);
    expect(metricSum(MetricName.backendMisconfigured)).toBe(1);
  });

  it('answers 500 naming the secret to create when the Pinecone key secret is missing', async () => {
    // Act
    const response = await ask(keyless, 'How long do sessions live?');

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toEqual({
      error_code: 'BACKEND_MISCONFIGURED',
      message:
        "Secrets Manager is misconfigured: secret 'rag-serving/dev/pinecone-api-key' does not exist: create it with " +
        "aws secretsmanager create-secret --name rag-serving/dev/pinecone-api-key --secret-string '<pinecone api key>'",
    });
    expect(metricSum(MetricName.backendMisconfigured)).toBe(1);
  });
});

interface StreamedResponse {
  readonly status: number;
  readonly events: string[];
  /** EMF documents already printed when the last byte arrived. */
  readonly publishedAtEnd: number;
}

/** Streams a chat answer to its end, noting how many metric documents were out by then. */
function streamChat(server: TestServer, content: string): Promise<StreamedResponse> {
  return new Promise((resolve, reject) => {
    const req = request(server.invocationsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          events: text
            .split('\n\n')
            .filter(Boolean)
            .map((e) => e.replace(/^data: /, '')),
          publishedAtEnd: published.length,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ messages: [{ role: 'user', content }], stream: true }));
  });
}

describe('A streamed answer', () => {
  /** How long the fake holds each call; a lower bound of the time between headers and last byte. */
  const MODEL_DELAY_MS = 300;

  it('counts a failure after its headers as a server error, timed to its last byte', async () => {
    // Prepare: the model call starts once the stream is open, and is refused after a delay the
    // fake holds it for (the fake delays every call, the ones before the headers too).
    bedrock.setFault({ accessDenied: 1, faultOperations: ['ConverseStream'], latencyMs: MODEL_DELAY_MS });

    // Act
    const { status, events, publishedAtEnd } = await streamChat(cloud, 'How long do sessions live?');

    // Assess
    expect(status).toBe(200);
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ error: { code: 'BACKEND_MISCONFIGURED' } });
    expect(publishedAtEnd).toBeGreaterThan(0);
    expect(metricSum(MetricName.requests)).toBe(1);
    expect(metricSum(MetricName.serverErrors)).toBe(1);
    expect(metricSum(MetricName.backendMisconfigured)).toBe(1);
    // Timed to the last byte: the refusal came at least the fake's delay after the headers.
    const [firstByte] = metricValues(MetricName.streamTimeToFirstByte);
    const [duration] = metricValues(MetricName.streamDuration);
    expect(duration! - firstByte!).toBeGreaterThanOrEqual(MODEL_DELAY_MS);
    expect(metricValues(MetricName.requestLatency)).toEqual([]);
  });

  it('publishes its guardrail intervention and tokens before its last byte, in the same request', async () => {
    // Prepare
    bedrock.setFault({ guardrail: 'block' });

    // Act
    const { status, events, publishedAtEnd } = await streamChat(cloud, 'Is this answered?');

    // Assess: everything was out by the time the last byte arrived, nothing came later.
    expect(status).toBe(200);
    expect(events.at(-1)).toBe('[DONE]');
    expect(publishedAtEnd).toBe(published.length);
    expect(metricSum(MetricName.guardrailInterventions)).toBe(1);
    expect(metricSum(MetricName.requests)).toBe(1);
    expect(metricSum(MetricName.serverErrors)).toBe(0);
    expect(metricValues(MetricName.streamDuration)).toHaveLength(1);
  });
});

describe('The deep readiness check', () => {
  const deepHealth = (server: TestServer, token?: string) =>
    fetch(`${server.url}/health?deep=true`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  it('calls every configured backend once and answers 200 when all answer', async () => {
    // Act
    const response = await deepHealth(cloud, TEST_TOKEN);

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: { name: string; status: string }[] };
    expect(body.status).toBe('ok');
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ['sessions', 'ok'],
      ['embedder', 'ok'],
      ['index', 'ok'],
      ['guardrail', 'ok'],
      ['generator', 'ok'],
    ]);
    expect(bedrock.requests.map((r) => r.operation).sort()).toEqual(
      expect.arrayContaining(['ApplyGuardrail', 'Converse', 'InvokeModel']),
    );
  });

  it('names the misconfigured backend and its fix, and the one that is only unavailable', async () => {
    // Prepare
    bedrock.setFault({ accessDenied: 1, faultOperations: ['Converse'] });
    pinecone.setFault({ status: 503, times: 100 });

    // Act
    const response = await deepHealth(cloud, TEST_TOKEN);

    // Assess
    expect(response.status).toBe(503);
    const { status, checks } = (await response.json()) as {
      status: string;
      checks: { name: string; status: string; backend?: string; message?: string }[];
    };
    expect(status).toBe('unready');
    expect(checks.find((c) => c.name === 'generator')).toMatchObject({
      status: 'misconfigured',
      backend: 'Bedrock',
      message: expect.stringMatching(/^Bedrock is misconfigured: access to model .* was denied/),
    });
    expect(checks.find((c) => c.name === 'index')).toMatchObject({
      status: 'unavailable',
      backend: 'Pinecone',
    });
    expect(checks.find((c) => c.name === 'embedder')).toMatchObject({ status: 'ok' });
  });

  it('reports a missing Pinecone key secret as a misconfigured index', async () => {
    // Act
    const response = await deepHealth(keyless, TEST_TOKEN);

    // Assess
    expect(response.status).toBe(503);
    const { checks } = (await response.json()) as {
      checks: { name: string; status: string; backend?: string }[];
    };
    expect(checks.find((c) => c.name === 'index')).toMatchObject({
      status: 'misconfigured',
      backend: 'Secrets Manager',
    });
  });

  it('needs an admin token, while the plain liveness check needs none', async () => {
    // Prepare
    const { token: invokeOnly } = await issueTestToken(cloud, {
      principal: 'svc-reader',
      scopes: ['invoke'],
    });

    // Act
    const [liveness, anonymous, underprivileged, forged] = await Promise.all([
      fetch(`${cloud.url}/health`),
      deepHealth(cloud),
      deepHealth(cloud, invokeOnly),
      deepHealth(cloud, 'dapi0000000000000000000000000000000000000'),
    ]);

    // Assess
    expect(liveness.status).toBe(200);
    expect(await liveness.json()).toEqual({ status: 'ok' });
    expect(anonymous.status).toBe(401);
    expect(underprivileged.status).toBe(403);
    expect(forged.status).toBe(401);
    expect(bedrock.requests).toHaveLength(0);
  });
});
