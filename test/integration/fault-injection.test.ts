import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { startFakeBedrock, type BedrockStage, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import {
  startDynamoFaultProxy,
  type DynamoFault,
  type DynamoFaultProxy,
} from '../fakes/dynamo-fault-proxy.js';
import {
  call,
  startLambdaTestServer,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from '../support/local-server.js';

/**
 * The budget of the servers that meet a backend holding its answer. Only the failing request goes
 * through them (the others use the default 25 s), and the stages before the held one normally take
 * milliseconds: the budget is a generous margin for a busy machine, not a measurement.
 */
const SHORT_BUDGET_MS = 3_000;

let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
/** The default budget: enough for the SDK's own retries, so throttling surfaces as 503, not as a deadline. */
let server: TestServer;
/** The same backends with a short budget, for the deadline cases only. */
let hurried: TestServer;

const sdkAttempts = process.env.AWS_MAX_ATTEMPTS;

beforeAll(async () => {
  // The SDK still retries a throttled call once (with its backoff), then gives up: a faster suite.
  process.env.AWS_MAX_ATTEMPTS = '2';
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
  [server, hurried] = await Promise.all([
    startTestServer({ dynamodbEndpoint: proxy.endpoint }),
    startTestServer({
      dynamodbEndpoint: proxy.endpoint,
      environment: { RAG_REQUEST_TIMEOUT_MS: String(SHORT_BUDGET_MS) },
    }),
  ]);
});
afterAll(async () => {
  await server?.stop();
  await hurried?.stop();
  await proxy?.close();
  await dynamo?.close();
  if (sdkAttempts === undefined) delete process.env.AWS_MAX_ATTEMPTS;
  else process.env.AWS_MAX_ATTEMPTS = sdkAttempts;
});

interface WireTurn {
  query: string;
  response: string;
  sources: unknown[];
  created_at: string;
}

const ask = (sessionId: string, query: string, via: TestServer = server): Promise<Response> =>
  via.invoke({ dataframe_records: [{ query, session_id: sessionId }] });

async function turnsOf(sessionId: string, via: TestServer = server): Promise<WireTurn[]> {
  const response = await call(via, 'GET', `/sessions/${sessionId}?page_size=100`, TEST_TOKEN);
  expect(response.status).toBe(200);
  return ((await response.json()) as { turns: WireTurn[] }).turns;
}

/** A turn is whole when every field a reader relies on is there. */
function expectWhole(turn: WireTurn): void {
  expect(turn.response.length).toBeGreaterThan(0);
  expect(Array.isArray(turn.sources)).toBe(true);
  expect(Number.isNaN(Date.parse(turn.created_at))).toBe(false);
}

async function expectRetryableError(response: Response, status: number, errorCode: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const body = await response.text();
  expect(JSON.parse(body)).toMatchObject({ error_code: errorCode });
  expect(body).not.toMatch(/at \S+ \(|Exception/);
}

describe('Fault injection: DynamoDB', () => {
  const throttle: DynamoFault = { kind: 'throttle' };
  const serverError: DynamoFault = { kind: 'server-error' };

  it.each([
    ['throttles', 'the turn write (store)', ['PutItem'], throttle],
    ['throttles', 'the ownership claim (session)', ['UpdateItem', 'GetItem'], throttle],
    ['throttles', 'the history read (session)', ['Query'], throttle],
    ['answers 500 to', 'the turn write (store)', ['PutItem'], serverError],
  ] as const)(
    'answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when DynamoDB %s %s, the stage that failed, and stores no part of the turn',
    async (_fault, _stage, operations, fault) => {
      // Prepare
      const sessionId = `fault-${randomUUID()}`;
      expect((await ask(sessionId, 'first question')).status).toBe(200);

      // Act
      proxy.inject(operations, fault);
      let failed: Response;
      try {
        failed = await ask(sessionId, 'second question');
      } finally {
        proxy.heal();
      }

      // Assess: the named stage's own operation met the fault.
      await expectRetryableError(failed, 503, 'TEMPORARILY_UNAVAILABLE');
      expect(operations.some((operation) => proxy.faulted(operation) > 0)).toBe(true);
      const turns = await turnsOf(sessionId);
      expect(turns.map((turn) => turn.query)).toEqual(['first question']);
      turns.forEach(expectWhole);
      expect((await ask(sessionId, 'third question')).status).toBe(200);
    },
  );

  it('answers 503 with Retry-After on the session API while reads are throttled', async () => {
    // Prepare
    const sessionId = `fault-${randomUUID()}`;
    await ask(sessionId, 'something to read');

    // Act
    proxy.inject(['GetItem', 'Query'], throttle);
    let read: Response;
    try {
      read = await call(server, 'GET', `/sessions/${sessionId}`, TEST_TOKEN);
    } finally {
      proxy.heal();
    }

    // Assess
    await expectRetryableError(read, 503, 'TEMPORARILY_UNAVAILABLE');
    expect(await turnsOf(sessionId)).toHaveLength(1);
  });

  it('keeps a session whose erasure was throttled whole and erasable', async () => {
    // Prepare
    const sessionId = `fault-${randomUUID()}`;
    await ask(sessionId, 'erase me');

    // Act
    proxy.inject(['BatchWriteItem', 'DeleteItem'], throttle);
    let erase: Response;
    try {
      erase = await call(server, 'DELETE', `/sessions/${sessionId}`, TEST_TOKEN);
    } finally {
      proxy.heal();
    }
    const turnsAfterFailure = await turnsOf(sessionId);
    const retried = await call(server, 'DELETE', `/sessions/${sessionId}`, TEST_TOKEN);

    // Assess
    await expectRetryableError(erase, 503, 'TEMPORARILY_UNAVAILABLE');
    expect(turnsAfterFailure.map((turn) => turn.query)).toEqual(['erase me']);
    expect(retried.status).toBe(204);
    expect((await call(server, 'GET', `/sessions/${sessionId}`, TEST_TOKEN)).status).toBe(404);
  });

  it('answers 504 DEADLINE_EXCEEDED with Retry-After when the turn write (store) outlasts the time budget', async () => {
    // Prepare: the session is made through the server with the default budget.
    const sessionId = `fault-${randomUUID()}`;
    expect((await ask(sessionId, 'before the slowdown')).status).toBe(200);
    const heldBefore = proxy.faulted('PutItem');
    proxy.inject(['PutItem'], { kind: 'hold' });
    const turnWrite = proxy.arrival('PutItem');

    // Act
    let slow: Response;
    try {
      slow = await ask(sessionId, 'during the slowdown', hurried);
      await turnWrite;
    } finally {
      proxy.heal();
    }
    await proxy.idle();

    // Assess: the held turn write was what the request waited for; it may have landed after the
    // 504, but only ever as a whole turn.
    await expectRetryableError(slow, 504, 'DEADLINE_EXCEEDED');
    expect(proxy.faulted('PutItem') - heldBefore).toBe(1);
    const turns = await turnsOf(sessionId);
    expect(turns[0]?.query).toBe('before the slowdown');
    expect(turns.filter((turn) => turn.query === 'during the slowdown').length).toBeLessThanOrEqual(1);
    expect(turns.length).toBeLessThanOrEqual(2);
    turns.forEach(expectWhole);
  });

  it('stays up and answers normally once DynamoDB recovers', async () => {
    // Act
    const health = await fetch(`${server.url}/health`);
    const answer = await ask(`fault-${randomUUID()}`, 'all good again?');

    // Assess
    expect(health.status).toBe(200);
    expect(answer.status).toBe(200);
  });
});

describe('Fault injection: Bedrock and Pinecone (wire-level fakes, the Lambda wiring)', () => {
  const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
  const DIMENSIONS = 256;
  let bedrock: FakeBedrock;
  let pinecone: FakePinecone;
  let sessions: EmbeddedDynamo;
  /** The function as deployed, with the default budget. */
  let cloud: TestServer;
  /** The same function, backends and sessions with a short budget, for the deadline case. */
  let hurriedCloud: TestServer;
  let docs: string;

  beforeAll(async () => {
    [bedrock, pinecone, sessions] = await Promise.all([
      startFakeBedrock(),
      startFakePinecone({ dimension: DIMENSIONS }),
      startEmbeddedDynamo(),
    ]);
    docs = await mkdtemp(join(tmpdir(), 'rag-fault-docs-'));
    await writeFile(
      join(docs, 'sessions.md'),
      '# Sessions\n\nA session keeps the turns of one conversation for thirty days.\n',
    );
    const client = bedrockRuntimeClient({ endpoint: bedrock.endpoint });
    await ingestFolder({
      dir: docs,
      source: 'docs',
      embedder: new BedrockEmbedder({ modelId: EMBEDDING_MODEL, dimensions: DIMENSIONS, client }),
      index: new PineconeVectorIndex({ host: pinecone.host, apiKey: fixedApiKey(pinecone.apiKey) }),
    });
    client.destroy();
    const environment = {
      RAG_BACKEND: 'fakes',
      BEDROCK_ENDPOINT: bedrock.endpoint,
      BEDROCK_EMBEDDING_MODEL_ID: EMBEDDING_MODEL,
      BEDROCK_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
      BEDROCK_GENERATION_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      BEDROCK_GUARDRAIL_ID: 'gr-fake',
      BEDROCK_GUARDRAIL_VERSION: '1',
      PINECONE_HOST: pinecone.host,
      PINECONE_API_KEY: pinecone.apiKey,
      PINECONE_NAMESPACE: '',
    };
    cloud = await startLambdaTestServer({ environment, dynamodbEndpoint: sessions.endpoint });
    hurriedCloud = await startLambdaTestServer({
      environment: { ...environment, RAG_REQUEST_TIMEOUT_MS: String(SHORT_BUDGET_MS) },
      dynamodbEndpoint: sessions.endpoint,
    });
  });
  afterAll(async () => {
    await cloud?.stop();
    await hurriedCloud?.stop();
    await Promise.all([bedrock?.close(), pinecone?.close(), sessions?.close()]);
    if (docs) await rm(docs, { recursive: true, force: true });
  });
  const heal = () => {
    bedrock.healStages();
    pinecone.setFault({ latencyMs: 0, status: undefined, times: undefined, down: false, hold: false });
  };
  beforeEach(heal);

  /** The stages of a follow-up turn after each stage, in the order the pipeline reaches them. */
  const LATER: Readonly<Record<BedrockStage | 'retrieve', readonly BedrockStage[]>> = {
    guardrail_input: ['generate', 'guardrail_output'],
    embed: ['generate', 'guardrail_output'],
    condense: ['generate', 'guardrail_output'],
    retrieve: ['generate', 'guardrail_output'],
    generate: ['guardrail_output'],
    guardrail_output: [],
  };

  it.each([
    {
      name: 'Bedrock throttles embedding past the retries',
      stage: 'embed',
      fault: () => bedrock.setStageFault('embed', { throttle: 100 }),
    },
    {
      name: 'Bedrock throttles condensing the follow-up',
      stage: 'condense',
      fault: () => bedrock.setStageFault('condense', { throttle: 100 }),
    },
    {
      name: 'Pinecone is down',
      stage: 'retrieve',
      fault: () => pinecone.setFault({ down: true }),
    },
    {
      name: 'Bedrock throttles generation past the retries',
      stage: 'generate',
      fault: () => bedrock.setStageFault('generate', { throttle: 100 }),
    },
    {
      name: 'Bedrock answers 5xx to generation',
      stage: 'generate',
      fault: () => bedrock.setStageFault('generate', { serverErrors: 100 }),
    },
    {
      name: 'Bedrock throttles the output guardrail',
      stage: 'guardrail_output',
      fault: () => bedrock.setStageFault('guardrail_output', { throttle: 100 }),
    },
  ] as const)(
    'answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when $name ($stage fails), and stores no part of the turn',
    async ({ stage, fault }) => {
      // Prepare
      const sessionId = `cloud-fault-${randomUUID()}`;
      expect((await ask(sessionId, 'How long do sessions live?', cloud)).status).toBe(200);
      const before = bedrock.requests.length;

      // Act
      fault();
      let failed: Response;
      try {
        failed = await ask(sessionId, 'And after the failure?', cloud);
      } finally {
        heal();
      }

      // Assess: the named stage failed, and nothing after it ran.
      await expectRetryableError(failed, 503, 'TEMPORARILY_UNAVAILABLE');
      const during = bedrock.requests.slice(before).map((request) => request.stage);
      // Retrieval comes right after the condensed question's embedding (the raw one is the first).
      if (stage === 'retrieve') expect(during.filter((reached) => reached === 'embed')).toHaveLength(2);
      else expect(bedrock.faulted(stage)).toBeGreaterThan(0);
      expect(during.filter((reached) => LATER[stage].includes(reached))).toEqual([]);
      const turns = await turnsOf(sessionId, cloud);
      expect(turns.map((turn) => turn.query)).toEqual(['How long do sessions live?']);
      turns.forEach(expectWhole);
      expect((await ask(sessionId, 'Working again?', cloud)).status).toBe(200);
    },
  );

  it('answers 504 DEADLINE_EXCEEDED with Retry-After when generation outlasts the time budget', async () => {
    // Prepare: the session is made through the function with the default budget.
    const sessionId = `cloud-fault-${randomUUID()}`;
    expect((await ask(sessionId, 'How long do sessions live?', cloud)).status).toBe(200);
    bedrock.setStageFault('generate', { hold: true });
    const generation = bedrock.arrival('generate');
    const before = bedrock.requests.length;

    // Act
    let slow: Response;
    let modelCall: string;
    try {
      slow = await ask(sessionId, 'And after the failure?', hurriedCloud);
      modelCall = await (await generation).ended;
    } finally {
      heal();
    }

    // Assess: the request reached generation, still held when time ran out, and gave it up.
    await expectRetryableError(slow, 504, 'DEADLINE_EXCEEDED');
    expect(modelCall).toBe('abandoned');
    expect(bedrock.requests.slice(before).map((request) => request.stage)).not.toContain('guardrail_output');
    const turns = await turnsOf(sessionId, cloud);
    expect(turns.map((turn) => turn.query)).toEqual(['How long do sessions live?']);
    expect((await ask(sessionId, 'Working again?', cloud)).status).toBe(200);
  });
});
