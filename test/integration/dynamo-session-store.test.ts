import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSessionStore } from '../../src/adapters/dynamodb/session-store.js';
import { TableSetupError } from '../../src/adapters/dynamodb/ensure-table.js';
import { ensureSessionTable, sessionTableDefinition } from '../../src/adapters/dynamodb/session-table.js';
import {
  BackendMisconfiguredError,
  BackendUnavailableError,
  InvalidParameterError,
} from '../../src/core/errors.js';
import type { CitedSource, Turn } from '../../src/core/ports/types.js';
import {
  DataDirectoryLockedError,
  startEmbeddedDynamo,
  type EmbeddedDynamo,
} from '../../src/local/embedded-dynamodb.js';
import { SESSION_TTL_ATTRIBUTE } from '../../src/shared/sessions.js';

const TABLE = 'sessions-test';
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function turn(
  sessionId: string,
  query: string,
  createdAt: number,
  sources: readonly CitedSource[] = [],
): Turn {
  return { sessionId, query, response: `answer to ${query}`, sources, createdAt };
}

const newSessionId = () => `s-${randomUUID()}`;

let dynamo: EmbeddedDynamo;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  await ensureSessionTable(dynamo.client, TABLE);
});

afterAll(async () => {
  await dynamo?.close();
});

async function rawItem(sessionId: string, sk: string): Promise<Record<string, AttributeValue> | undefined> {
  const result = await dynamo.client.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { pk: { S: `SESSION#${sessionId}` }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return result.Item;
}

async function rawItems(sessionId: string): Promise<Record<string, AttributeValue>[]> {
  const result = await dynamo.client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `SESSION#${sessionId}` } },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

describe('Class: DynamoSessionStore', () => {
  describe('Method: claim', () => {
    it('gives the session to the first principal and tells a second one who owns it', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();

      // Act
      const first = await store.claim(sessionId, 'alice');
      const second = await store.claim(sessionId, 'bob');
      const again = await store.claim(sessionId, 'alice');

      // Assess
      expect([first, second, again]).toEqual(['alice', 'alice', 'alice']);
      expect(await store.owner(sessionId)).toBe('alice');
    });

    it('lets exactly one of several simultaneous claims win', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      const principals = Array.from({ length: 10 }, (_, i) => `p${i}`);

      // Act
      const owners = await Promise.all(principals.map((principal) => store.claim(sessionId, principal)));

      // Assess
      expect(new Set(owners).size).toBe(1);
      expect(principals).toContain(owners[0]);
    });

    it('refreshes the TTL on every claim but keeps the creation time', async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 7 });
      const sessionId = newSessionId();
      await store.claim(sessionId, 'alice');
      const before = await rawItem(sessionId, 'META');

      // Act
      clock.advance(2 * DAY_MS);
      await store.claim(sessionId, 'alice');
      const after = await rawItem(sessionId, 'META');

      // Assess
      const expiresBefore = Number(before?.[SESSION_TTL_ATTRIBUTE]?.N);
      const expiresAfter = Number(after?.[SESSION_TTL_ATTRIBUTE]?.N);
      expect(expiresBefore).toBeGreaterThanOrEqual(T0 / 1000 + 7 * 86_400);
      expect(expiresAfter - expiresBefore).toBe(2 * 86_400);
      expect(after?.created_at?.N).toBe(String(T0));
      expect(after?.owner?.S).toBe('alice');
    });

    it('treats expired metadata as absent: the id can be claimed afresh', async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 1 });
      const sessionId = newSessionId();
      await store.claim(sessionId, 'alice');
      clock.advance(3 * DAY_MS);

      // Act
      const owner = await store.claim(sessionId, 'bob');

      // Assess
      expect(owner).toBe('bob');
      expect(await store.owner(sessionId)).toBe('bob');
      expect((await rawItem(sessionId, 'META'))?.created_at?.N).toBe(String(T0 + 3 * DAY_MS));
    });
  });

  describe('Method: claim, by another principal', () => {
    it("writes nothing to another principal's live session, not even its TTL", async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 7 });
      const sessionId = newSessionId();
      await store.claim(sessionId, 'alice');
      const before = await rawItem(sessionId, 'META');

      // Act
      clock.advance(DAY_MS);
      const owner = await store.claim(sessionId, 'mallory');

      // Assess
      expect(owner).toBe('alice');
      expect(await rawItem(sessionId, 'META')).toEqual(before);
    });
  });

  describe('Method: append and recent', () => {
    it('returns the last turns oldest first, with their sources', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      const source: CitedSource = {
        id: 'docs/a.md#0',
        source: 'docs/a.md',
        score: 0.75,
        text: 'Run "npm start" — ünïcode.',
      };
      for (let i = 0; i < 5; i++)
        await store.append(turn(sessionId, `q${i}`, T0 + i * 1000, i === 4 ? [source] : []));

      // Act
      const lastThree = await store.recent(sessionId, 3);
      const all = await store.recent(sessionId, 50);

      // Assess
      expect(lastThree.map((t) => t.query)).toEqual(['q2', 'q3', 'q4']);
      expect(lastThree[2]).toEqual(turn(sessionId, 'q4', T0 + 4000, [source]));
      expect(all.map((t) => t.query)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
      expect(await store.recent(sessionId, 0)).toEqual([]);
    });

    it('writes one item per turn, with the TTL in epoch seconds', async () => {
      // Prepare
      const store = new DynamoSessionStore({
        tableName: TABLE,
        client: dynamo.client,
        clock: manualClock(),
        ttlDays: 30,
      });
      const sessionId = newSessionId();

      // Act
      await store.append(turn(sessionId, 'q', T0 + 5));

      // Assess
      const items = await rawItems(sessionId);
      expect(items).toHaveLength(1);
      expect(items[0]?.sk?.S).toMatch(/^TURN#\d{13}#[0-9a-f]+$/);
      expect(items[0]?.sk?.S?.slice(5, 18)).toBe(String(T0 + 5).padStart(13, '0'));
      expect(items[0]?.[SESSION_TTL_ATTRIBUTE]?.N).toBe(String(Math.floor(T0 / 1000) + 30 * 86_400));
    });

    it('filters out expired turns that DynamoDB has not deleted yet', async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 30 });
      const sessionId = newSessionId();
      await store.append(turn(sessionId, 'old-1', clock.now()));
      await store.append(turn(sessionId, 'old-2', clock.now() + 1));
      clock.advance(20 * DAY_MS);
      await store.append(turn(sessionId, 'new-1', clock.now()));
      await store.append(turn(sessionId, 'new-2', clock.now() + 1));

      // Act
      clock.advance(15 * DAY_MS);
      const recent = await store.recent(sessionId, 10);

      // Assess
      expect(recent.map((t) => t.query)).toEqual(['new-1', 'new-2']);
      expect(await rawItems(sessionId)).toHaveLength(4);
    });

    it('keeps reading pages past expired newer turns until it has enough live ones', async () => {
      // Prepare: newer turns written with a 1-day TTL, older ones with 30 days.
      const clock = manualClock();
      const longLived = new DynamoSessionStore({
        tableName: TABLE,
        client: dynamo.client,
        clock,
        ttlDays: 30,
      });
      const shortLived = new DynamoSessionStore({
        tableName: TABLE,
        client: dynamo.client,
        clock,
        ttlDays: 1,
      });
      const sessionId = newSessionId();
      for (let i = 0; i < 3; i++) await longLived.append(turn(sessionId, `kept-${i}`, T0 + i));
      for (let i = 0; i < 7; i++) await shortLived.append(turn(sessionId, `gone-${i}`, T0 + 100 + i));

      // Act
      clock.advance(2 * DAY_MS);
      const recent = await longLived.recent(sessionId, 2);

      // Assess
      expect(recent.map((t) => t.query)).toEqual(['kept-1', 'kept-2']);
    });

    it('keeps both turns when two arrive at once', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();

      // Act
      await Promise.all([store.append(turn(sessionId, 'a', T0)), store.append(turn(sessionId, 'b', T0 + 1))]);

      // Assess
      expect((await store.recent(sessionId, 10)).map((t) => t.query)).toEqual(['a', 'b']);
    });

    it('keeps twenty concurrent turns, in time order, even within one millisecond', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      const sameMs = newSessionId();
      const order = Array.from({ length: 20 }, (_, i) => i).sort(() => Math.random() - 0.5);

      // Act
      await Promise.all(
        order.map((i) => store.append(turn(sessionId, `q${String(i).padStart(2, '0')}`, T0 + i * 10))),
      );
      await Promise.all(order.map((i) => store.append(turn(sameMs, `q${i}`, T0))));

      // Assess
      const expected = Array.from({ length: 20 }, (_, i) => `q${String(i).padStart(2, '0')}`);
      expect((await store.recent(sessionId, 20)).map((t) => t.query)).toEqual(expected);
      expect(await store.recent(sameMs, 50)).toHaveLength(20);
    });
  });

  describe('Method: listTurns', () => {
    it('pages through unexpired turns oldest first, with no token on the last page', async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 30 });
      const shortLived = new DynamoSessionStore({
        tableName: TABLE,
        client: dynamo.client,
        clock,
        ttlDays: 1,
      });
      const sessionId = newSessionId();
      await shortLived.append(turn(sessionId, 'expired-0', T0 - 2));
      await shortLived.append(turn(sessionId, 'expired-1', T0 - 1));
      for (let i = 0; i < 7; i++) await store.append(turn(sessionId, `q${i}`, T0 + i));
      await shortLived.append(turn(sessionId, 'expired-2', T0 + 3_500));
      clock.advance(2 * DAY_MS);

      // Act
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await store.listTurns(sessionId, {
          pageSize: 3,
          ...(token !== undefined && { pageToken: token }),
        });
        pages.push(page.turns.map((t) => t.query));
        token = page.nextPageToken;
        if (token !== undefined) expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      } while (token !== undefined && pages.length < 10);

      // Assess
      expect(pages).toEqual([['q0', 'q1', 'q2'], ['q3', 'q4', 'q5'], ['q6']]);
    });

    it('gives no token when the last page is exactly full', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      for (let i = 0; i < 4; i++) await store.append(turn(sessionId, `q${i}`, T0 + i));

      // Act
      const first = await store.listTurns(sessionId, { pageSize: 2 });
      const second = await store.listTurns(sessionId, {
        pageSize: 2,
        pageToken: first.nextPageToken ?? 'missing',
      });
      const empty = await store.listTurns(newSessionId(), { pageSize: 2 });

      // Assess
      expect(first.turns.map((t) => t.query)).toEqual(['q0', 'q1']);
      expect(first.nextPageToken).toBeDefined();
      expect(second).toEqual({ turns: [turn(sessionId, 'q2', T0 + 2), turn(sessionId, 'q3', T0 + 3)] });
      expect(empty).toEqual({ turns: [] });
    });

    it('rejects a page token it did not issue', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });

      // Act
      const listing = store.listTurns(newSessionId(), { pageSize: 2, pageToken: 'bm90LWEtdG9rZW4' });

      // Assess
      await expect(listing).rejects.toBeInstanceOf(InvalidParameterError);
    });
  });

  describe('Method: owner', () => {
    it('is undefined for an unknown session and once the metadata has expired', async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 1 });
      const sessionId = newSessionId();
      await store.claim(sessionId, 'alice');

      // Act
      const live = await store.owner(sessionId);
      clock.advance(2 * DAY_MS);
      const expired = await store.owner(sessionId);

      // Assess
      expect(live).toBe('alice');
      expect(expired).toBeUndefined();
      expect(await rawItem(sessionId, 'META')).toBeDefined();
      expect(await store.owner(newSessionId())).toBeUndefined();
    });
  });

  describe('Method: deleteSession', () => {
    it('erases the metadata and every turn, more than one batch of them, and can run again', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      const neighbour = newSessionId();
      await store.claim(sessionId, 'alice');
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.append(turn(sessionId, `q${i}`, T0 + i))));
      await store.append(turn(neighbour, 'stays', T0));

      // Act
      await store.deleteSession(sessionId);
      await store.deleteSession(sessionId);
      await store.deleteSession(newSessionId());

      // Assess
      expect(await rawItems(sessionId)).toEqual([]);
      expect(await store.owner(sessionId)).toBeUndefined();
      expect((await store.recent(neighbour, 5)).map((t) => t.query)).toEqual(['stays']);
    });
  });

  describe('Method: listSessions', () => {
    it("pages through one principal's live sessions, newest first, from the owner index", async () => {
      // Prepare
      const clock = manualClock();
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock, ttlDays: 1 });
      const principal = `lister-${randomUUID()}`;
      await store.claim('expired-one', principal);
      clock.advance(2 * DAY_MS);
      const ids = Array.from({ length: 5 }, () => newSessionId());
      for (const id of ids) {
        clock.advance(1_000);
        await store.claim(id, principal);
      }
      await store.claim(newSessionId(), `someone-else-${randomUUID()}`);

      // Act
      const pages: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await store.listSessions(principal, { pageSize: 2, ...(pageToken && { pageToken }) });
        pages.push(page.sessions.map((session) => session.sessionId));
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined && pages.length < 10);

      // Assess
      const newestFirst = [...ids].reverse();
      expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
      const [first] = (await store.listSessions(principal, { pageSize: 1 })).sessions;
      expect(first?.createdAt).toBe(clock.now());
      expect(first?.expiresAt).toBeGreaterThan(clock.now() + DAY_MS - 1);
    });

    it("refuses a page token it did not issue, and cannot be steered to another principal's sessions", async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const victim = `victim-${randomUUID()}`;
      await store.claim(newSessionId(), victim);
      await store.claim(newSessionId(), victim);
      const victimToken = (await store.listSessions(victim, { pageSize: 1 })).nextPageToken ?? '';

      // Act
      const forged = await store
        .listSessions('attacker', { pageSize: 5, pageToken: 'bm90LWEtdG9rZW4' })
        .catch((error: unknown) => error);
      const replayed = await store.listSessions('attacker', { pageSize: 5, pageToken: victimToken });

      // Assess
      expect(forged).toBeInstanceOf(InvalidParameterError);
      expect(replayed.sessions).toEqual([]);
    });
  });

  describe('Method: addFeedback and deleteSession', () => {
    it('keeps feedback out of the turns and erases it with the session', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, clock: manualClock() });
      const sessionId = newSessionId();
      await store.claim(sessionId, 'alice');
      await store.append(turn(sessionId, 'q', T0));
      const feedbackId = await store.addFeedback({
        sessionId,
        principal: 'alice',
        rating: -1,
        comment: 'off topic',
        createdAt: T0 + 1,
      });

      // Act
      const turnsBefore = await store.listTurns(sessionId, { pageSize: 10 });
      const itemsBefore = await rawItems(sessionId);
      await store.deleteSession(sessionId);

      // Assess
      expect(feedbackId).toMatch(/^\d{13}#[0-9a-f]+$/);
      expect(turnsBefore.turns.map((t) => t.query)).toEqual(['q']);
      expect(itemsBefore.map((item) => item.sk?.S?.split('#')[0]).sort()).toEqual([
        'FEEDBACK',
        'META',
        'TURN',
      ]);
      expect(itemsBefore.find((item) => item.sk?.S?.startsWith('FEEDBACK#'))?.owner).toBeUndefined();
      expect(await rawItems(sessionId)).toEqual([]);
      expect(await store.owner(sessionId)).toBeUndefined();
    });
  });

  describe('Errors', () => {
    let fake: Server | undefined;
    afterEach(async () => {
      await new Promise<void>((done) => (fake ? fake.close(() => done()) : done()));
      fake = undefined;
    });

    /** A stand-in DynamoDB that throttles every request, counting them. */
    async function throttlingDynamo(): Promise<{ client: DynamoDBClient; requests: () => number }> {
      let requests = 0;
      fake = createHttpServer((req, res) => {
        req.resume();
        req.on('end', () => {
          requests++;
          const body = JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
          });
          res.writeHead(400, {
            'Content-Type': 'application/x-amz-json-1.0',
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      });
      await new Promise<void>((done) => fake?.listen(0, '127.0.0.1', () => done()));
      const { port } = fake.address() as AddressInfo;
      const client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 2,
      });
      return { client, requests: () => requests };
    }

    it('maps throttling, after the SDK has retried, to BackendUnavailableError', async () => {
      // Prepare
      const { client, requests } = await throttlingDynamo();
      const store = new DynamoSessionStore({ tableName: TABLE, client, clock: manualClock() });

      // Act
      const outcomes = await Promise.allSettled([
        store.recent('s1', 5),
        store.claim('s1', 'alice'),
        store.append(turn('s1', 'q', T0)),
      ]);

      // Assess
      const reasons = outcomes.map((outcome) =>
        outcome.status === 'rejected' ? outcome.reason : outcome.value,
      );
      for (const reason of reasons) {
        expect(reason).toBeInstanceOf(BackendUnavailableError);
        expect(reason).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', status: 503 });
        expect((reason as Error).cause).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
      }
      expect(requests()).toBe(6);
      client.destroy();
    });

    it('maps an unreachable endpoint to BackendUnavailableError', async () => {
      // Prepare: a port that was free a moment ago and has nobody listening now.
      const probe = createTcpServer();
      await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((done) => probe.close(() => done()));
      const client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      const store = new DynamoSessionStore({ tableName: TABLE, client });

      // Act
      const reading = store.owner('s1');

      // Assess
      await expect(reading).rejects.toBeInstanceOf(BackendUnavailableError);
      client.destroy();
    });

    it('names the missing table and the setting that names it, as a misconfiguration no retry fixes', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: 'no-such-table', client: dynamo.client });

      // Act
      const appending = store.append(turn('s1', 'q', T0));

      // Assess
      await expect(appending).rejects.toBeInstanceOf(BackendMisconfiguredError);
      await expect(appending).rejects.toThrow(
        "DynamoDB is misconfigured: Session table 'no-such-table' does not exist (append): deploy the stage's " +
          'stateful stack, or set SESSION_TABLE_NAME to the table',
      );
      await expect(store.recent('s1', 2)).rejects.toMatchObject({
        status: 500,
        errorCode: 'BACKEND_MISCONFIGURED',
        backend: 'DynamoDB',
        isRetryable: false,
      });
    });

    it('refuses non-positive TTLs and page sizes', async () => {
      // Prepare
      const store = new DynamoSessionStore({ tableName: TABLE, client: dynamo.client });

      // Act
      const listing = store.listTurns('s1', { pageSize: 0 });

      // Assess
      expect(() => new DynamoSessionStore({ tableName: TABLE, client: dynamo.client, ttlDays: 0 })).toThrow(
        RangeError,
      );
      await expect(listing).rejects.toBeInstanceOf(RangeError);
    });
  });
});

describe('Function: ensureSessionTable', () => {
  it('is idempotent and refuses an existing table with other keys', async () => {
    // Prepare
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'wrong-keys',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // Act
    await ensureSessionTable(dynamo.client, TABLE);
    const wrong = ensureSessionTable(dynamo.client, 'wrong-keys');

    // Assess
    await expect(wrong).rejects.toBeInstanceOf(TableSetupError);
    expect(sessionTableDefinition(TABLE).KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(sessionTableDefinition(TABLE).GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'by-owner',
      KeySchema: [
        { AttributeName: 'owner', KeyType: 'HASH' },
        { AttributeName: 'created_at', KeyType: 'RANGE' },
      ],
    });
  });
});

describe('Function: ensureSessionTable, on a table without the owner index', () => {
  it('says which index is missing', async () => {
    // Prepare
    const { AttributeDefinitions, ...definition } = sessionTableDefinition('no-owner-index');
    await dynamo.client.send(
      new CreateTableCommand({
        ...definition,
        AttributeDefinitions: AttributeDefinitions?.slice(0, 2),
        GlobalSecondaryIndexes: undefined,
      }),
    );

    // Act
    const ensuring = ensureSessionTable(dynamo.client, 'no-owner-index');

    // Assess
    await expect(ensuring).rejects.toBeInstanceOf(TableSetupError);
    await expect(ensuring).rejects.toThrow("has no global index 'by-owner'");
  });
});

describe('Function: startEmbeddedDynamo', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rag-dynamo-'));
    dirs.push(dir);
    return join(dir, 'dynamodb');
  };

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps sessions across a close and a restart on the same directory', async () => {
    // Prepare
    const dataDir = await newDataDir();
    const first = await startEmbeddedDynamo({ dataDir });
    await ensureSessionTable(first.client, TABLE);
    const sessionId = newSessionId();
    const writer = new DynamoSessionStore({
      tableName: TABLE,
      client: first.client,
      clock: manualClock(Date.now()),
    });
    await writer.claim(sessionId, 'alice');
    await writer.append(turn(sessionId, 'remember me', Date.now()));
    await first.close();

    // Act
    const second = await startEmbeddedDynamo({ dataDir });
    try {
      const reader = new DynamoSessionStore({ tableName: TABLE, client: second.client });

      // Assess
      expect((await reader.recent(sessionId, 5)).map((t) => t.query)).toEqual(['remember me']);
      expect(await reader.owner(sessionId)).toBe('alice');
    } finally {
      await second.close();
    }
  });

  it('refuses a second instance on a directory this process already uses', async () => {
    // Prepare
    const dataDir = await newDataDir();
    const running = await startEmbeddedDynamo({ dataDir });

    try {
      // Act
      const second = startEmbeddedDynamo({ dataDir });

      // Assess
      await expect(second).rejects.toBeInstanceOf(DataDirectoryLockedError);
      expect((await running.client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await running.close();
    }
  });

  it('fails at start with DataDirectoryLockedError while another process holds the directory', async () => {
    // Prepare: a child process (the lock is per process) holds the directory until its stdin closes.
    const dataDir = await newDataDir();
    const moduleUrl = new URL('../../src/local/embedded-dynamodb.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startEmbeddedDynamo } = await import(${JSON.stringify(moduleUrl)});
         const dynamo = await startEmbeddedDynamo({ dataDir: ${JSON.stringify(dataDir)} });
         process.stdout.write('READY\\n');
         process.stdin.resume();
         process.stdin.on('end', () => { void dynamo.close().then(() => process.exit(0)); });`,
      ],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((ready, failed) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && ready());
      child.once('exit', (code) => failed(new Error(`child exited with ${code}: ${stderr}`)));
    });

    // Act
    const contender = startEmbeddedDynamo({ dataDir });

    // Assess
    await expect(contender).rejects.toBeInstanceOf(DataDirectoryLockedError);
    await expect(contender).rejects.toThrow(
      `Another rag-serving process is using ${dataDir}; stop it, or set RAG_DATA_DIR`,
    );
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    child.stdin?.end();
    expect(await exited).toBe(0);
    const after = await startEmbeddedDynamo({ dataDir });
    await after.close();
  });

  it('releases the directory when the port is taken', async () => {
    // Prepare
    const dataDir = await newDataDir();
    const blocker = createTcpServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const { port } = blocker.address() as AddressInfo;

    try {
      // Act
      const starting = startEmbeddedDynamo({ dataDir, port });

      // Assess
      await expect(starting).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const retry = await startEmbeddedDynamo({ dataDir });
      await retry.close();
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });

  it('survives a client that disconnects in the middle of a request', async () => {
    // Prepare
    const { port } = new URL(dynamo.endpoint);

    // Act: promise 100 bytes of body, send 10, hang up.
    await new Promise<void>((done) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n' +
            'X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{"Limit":1',
        );
        setTimeout(() => {
          socket.destroy();
          done();
        }, 50);
      });
    });
    await new Promise((settle) => setTimeout(settle, 100));

    // Assess: the process is still alive and the server still answers.
    expect((await dynamo.client.send(new ListTablesCommand({}))).TableNames).toContain(TABLE);
  });
});
