import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTokenStore } from '../../src/adapters/dynamodb/token-store.js';
import { ensureTokenTable } from '../../src/adapters/dynamodb/token-table.js';
import { DynamoUsageStore } from '../../src/adapters/dynamodb/usage-store.js';
import { ensureUsageTable } from '../../src/adapters/dynamodb/usage-table.js';
import { DynamoSessionStore } from '../../src/adapters/dynamodb/session-store.js';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { issueToken } from '../../src/auth/issue-token.js';
import { tokenAuthorizer } from '../../src/auth/token-authorizer.js';
import {
  BackendMisconfiguredError,
  BackendUnavailableError,
  RequestLimitError,
} from '../../src/core/errors.js';
import { QuotaEnforcer } from '../../src/core/quota.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { upgradeLegacySessionTable } from '../../src/local/legacy-session-table.js';

const TOKENS = 'tokens-test';
const USAGE = 'usage-test';
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

function manualClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

let dynamo: EmbeddedDynamo;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  await ensureTokenTable(dynamo.client, TOKENS);
  await ensureUsageTable(dynamo.client, USAGE);
});
afterAll(async () => {
  await dynamo?.close();
});

/** A DynamoDB stand-in that throttles everything. */
async function throttlingEndpoint(): Promise<{ client: DynamoDBClient; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'throttled',
      });
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

describe('Class: DynamoTokenStore', () => {
  it('stores hashes only, finds, lists and revokes', async () => {
    // Prepare
    const store = new DynamoTokenStore({ tableName: TOKENS, client: dynamo.client });
    const clock = manualClock();
    const issued = await issueToken(store, clock, {
      principal: 'svc-etl',
      scopes: ['invoke', 'sessions:read'],
      lifetimeMs: 60_000,
      namespace: 'tenant-a',
      comment: 'nightly job',
    });

    // Act
    const found = await store.find(issued.record.tokenId);
    const revoked = await store.revoke(issued.record.tokenId);
    const missing = await store.revoke('no-such-token');
    const listed = await store.list();

    // Assess
    expect(found).toEqual(issued.record);
    expect(JSON.stringify(found)).not.toContain(issued.token);
    expect(revoked).toBe(true);
    expect(missing).toBe(false);
    expect(listed.find((r) => r.tokenId === issued.record.tokenId)?.revoked).toBe(true);
    expect(await store.find('no-such-token')).toBeUndefined();
  });

  it('backs the TOKEN authorizer, which honours a revocation made through it', async () => {
    // Prepare
    const store = new DynamoTokenStore({ tableName: TOKENS, client: dynamo.client });
    const clock = manualClock();
    const { token, record } = await issueToken(store, clock, { principal: 'bot', scopes: ['invoke'] });
    const authorize = tokenAuthorizer(store, clock);
    const event = {
      authorizationToken: `Bearer ${token}`,
      methodArn: 'arn:aws:execute-api:r:1:api/prod/POST/x',
    };

    // Act
    const before = await authorize(event);
    await store.revoke(record.tokenId);
    const after = authorize(event);

    // Assess
    expect(before.principalId).toBe('bot');
    await expect(after).rejects.toThrow('Unauthorized');
  });

  it('names a malformed record, and turns throttling into a 503', async () => {
    // Prepare
    await dynamo.client.send(
      new PutItemCommand({ TableName: TOKENS, Item: { tokenId: { S: 'broken' }, principal: { S: 'x' } } }),
    );
    const store = new DynamoTokenStore({ tableName: TOKENS, client: dynamo.client });
    const throttling = await throttlingEndpoint();

    try {
      // Act
      const malformed = await store.find('broken').catch((error: unknown) => error);
      const throttled = await new DynamoTokenStore({ tableName: TOKENS, client: throttling.client })
        .find('any')
        .catch((error: unknown) => error);

      // Assess
      expect(malformed).toBeInstanceOf(BackendMisconfiguredError);
      expect((malformed as Error).message).toMatch(/item broken of Token table '.*' is malformed/);
      expect(throttled).toBeInstanceOf(BackendUnavailableError);
    } finally {
      await throttling.close();
    }
  });
});

describe('Class: QuotaEnforcer over DynamoUsageStore', () => {
  const enforcer = (clock: ReturnType<typeof manualClock>, limits: { rpm?: number; tpm?: number }) =>
    new QuotaEnforcer({
      store: new DynamoUsageStore({ tableName: USAGE, client: dynamo.client }),
      limits: { requestsPerWindow: limits.rpm ?? 0, tokensPerWindow: limits.tpm ?? 0 },
      clock,
    });

  it('admits exactly the quota of fifty simultaneous requests, then recovers in the next minute', async () => {
    // Prepare
    const clock = manualClock(T0 + 15_000);
    const quota = enforcer(clock, { rpm: 10 });

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => quota.admit('burst')));
    const refusal = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    clock.advance(45_000);
    const nextMinute = await quota.admit('burst').then(() => 'admitted');

    // Assess
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    expect(refusal.reason).toBeInstanceOf(RequestLimitError);
    expect(refusal.reason).toMatchObject({
      status: 429,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      retryAfterSeconds: 45,
    });
    expect(nextMinute).toBe('admitted');
  });

  it('refuses once the tokens charged reach the quota, per principal', async () => {
    // Prepare
    const clock = manualClock();
    const quota = enforcer(clock, { tpm: 1_000 });
    await quota.admit('heavy');
    await quota.charge('heavy', { inputTokens: 900, outputTokens: 99 });
    await quota.admit('heavy');
    await quota.charge('heavy', { inputTokens: 1, outputTokens: 0 });

    // Act
    const refused = await quota.admit('heavy').catch((error: unknown) => error);
    const other = await quota.admit('light').then(() => 'admitted');

    // Assess
    expect(refused).toBeInstanceOf(RequestLimitError);
    expect(other).toBe('admitted');
  });

  it('never calls the store when both limits are 0 (unlimited)', async () => {
    // Prepare
    const throttling = await throttlingEndpoint();
    const quota = new QuotaEnforcer({
      store: new DynamoUsageStore({ tableName: USAGE, client: throttling.client }),
      limits: { requestsPerWindow: 0, tokensPerWindow: 0 },
      clock: manualClock(),
    });

    try {
      // Act
      const admitted = await quota.admit('anyone').then(() => 'admitted');

      // Assess
      expect(admitted).toBe('admitted');
      expect(quota.enabled).toBe(false);
    } finally {
      await throttling.close();
    }
  });

  it('answers 503 when the counters are throttled, and names a missing table', async () => {
    // Prepare
    const throttling = await throttlingEndpoint();
    const limits = { requestsPerWindow: 5, tokensPerWindow: 0 };
    const throttled = new QuotaEnforcer({
      store: new DynamoUsageStore({ tableName: USAGE, client: throttling.client }),
      limits,
      clock: manualClock(),
    });
    const missing = new QuotaEnforcer({
      store: new DynamoUsageStore({ tableName: 'no-such-usage', client: dynamo.client }),
      limits,
      clock: manualClock(),
    });

    try {
      // Act
      const outcomes = await Promise.all([
        throttled.admit('p').catch((error: unknown) => error),
        missing.admit('p').catch((error: unknown) => error),
      ]);

      // Assess
      expect(outcomes[0]).toBeInstanceOf(BackendUnavailableError);
      expect(outcomes[1]).toBeInstanceOf(BackendMisconfiguredError);
      expect(outcomes[1]).toMatchObject({ isRetryable: false, status: 500 });
    } finally {
      await throttling.close();
    }
  });

  it('refuses limits that make no sense', () => {
    // Prepare
    const store = new DynamoUsageStore({ tableName: USAGE, client: dynamo.client });

    // Act
    const build = (limits: { requestsPerWindow: number; tokensPerWindow: number; windowMs?: number }) => () =>
      new QuotaEnforcer({ store, limits, clock: manualClock() });

    // Assess
    expect(build({ requestsPerWindow: -1, tokensPerWindow: 0 })).toThrow(RangeError);
    expect(build({ requestsPerWindow: 1.5, tokensPerWindow: 0 })).toThrow(RangeError);
    expect(build({ requestsPerWindow: 1, tokensPerWindow: 0, windowMs: 10 })).toThrow(RangeError);
  });
});

describe('Function: upgradeLegacySessionTable', () => {
  it('moves sessions of a table without the owner index into the current table', async () => {
    // Prepare: the table as the first local version created it.
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'legacy-sessions',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const clock = manualClock(Date.now());
    const legacy = new DynamoSessionStore({ tableName: 'legacy-sessions', client: dynamo.client, clock });
    await legacy.claim('old-session', 'alice');
    for (let i = 0; i < 30; i++) {
      await legacy.append({
        sessionId: 'old-session',
        query: `q${i}`,
        response: 'r',
        sources: [],
        createdAt: clock.now() + i,
      });
    }
    await ensureSessionTable(dynamo.client, 'current-sessions');
    const lines: string[] = [];

    // Act
    await upgradeLegacySessionTable(dynamo.client, 'legacy-sessions', 'current-sessions', (l) =>
      lines.push(l),
    );
    await upgradeLegacySessionTable(dynamo.client, 'legacy-sessions', 'current-sessions', (l) =>
      lines.push(l),
    );

    // Assess
    const current = new DynamoSessionStore({ tableName: 'current-sessions', client: dynamo.client, clock });
    expect((await current.recent('old-session', 50)).map((t) => t.query)).toHaveLength(30);
    expect((await current.listSessions('alice', { pageSize: 5 })).sessions.map((s) => s.sessionId)).toEqual([
      'old-session',
    ]);
    expect((await dynamo.client.send(new ListTablesCommand({}))).TableNames).not.toContain('legacy-sessions');
    expect(lines).toEqual([
      "Upgraded local sessions: 31 items copied from 'legacy-sessions' to 'current-sessions'.",
    ]);
  });
});
