import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import {
  startDynamoFaultProxy,
  type DynamoFault,
  type DynamoFaultProxy,
} from '../fakes/dynamo-fault-proxy.js';
import { call, startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

/** The budget of the server that meets a slow DynamoDB; the other keeps the default 25 s. */
const SHORT_BUDGET_MS = 1_000;

let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
/** Enough time for the SDK's own retries, so throttling surfaces as 503, not as a deadline. */
let server: TestServer;
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

const ask = (sessionId: string, query: string, via: TestServer = server) =>
  via.invoke({ dataframe_records: [{ query, session_id: sessionId }] });

async function turnsOf(sessionId: string): Promise<WireTurn[]> {
  const response = await call(server, 'GET', `/sessions/${sessionId}?page_size=100`, TEST_TOKEN);
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
    ['throttles the turn write', ['PutItem'], throttle],
    ['throttles the ownership claim', ['UpdateItem', 'GetItem'], throttle],
    ['throttles the history read', ['Query'], throttle],
    ['answers 500 to the turn write', ['PutItem'], serverError],
  ] as const)(
    'answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when DynamoDB %s, and stores no part of the turn',
    async (_name, operations, fault) => {
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

      // Assess
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

  it('answers 504 DEADLINE_EXCEEDED with Retry-After when DynamoDB is slower than the time budget', async () => {
    // Prepare
    const sessionId = `fault-${randomUUID()}`;
    await ask(sessionId, 'before the slowdown', hurried);

    // Act
    proxy.inject(['PutItem'], { kind: 'delay', ms: SHORT_BUDGET_MS * 2 });
    let slow: Response;
    try {
      slow = await ask(sessionId, 'during the slowdown', hurried);
    } finally {
      proxy.heal();
    }
    await proxy.idle();

    // Assess: the late write may have landed after the 504, but only ever as a whole turn.
    await expectRetryableError(slow, 504, 'DEADLINE_EXCEEDED');
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
