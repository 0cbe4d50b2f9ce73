import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/auth/principal.js';
import { generateToken } from '../../src/auth/tokens.js';
import {
  call,
  issueTestToken,
  revokeTestToken,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from '../support/local-server.js';

let server: TestServer;
let invocations: string;

beforeAll(async () => {
  // No authorizer cache here, so a revocation shows on the very next request.
  server = await startTestServer({ environment: { RAG_AUTH_CACHE_SECONDS: '0' } });
  invocations = `/serving-endpoints/${server.endpointName}/invocations`;
});
afterAll(async () => {
  await server.stop();
});

const body = (sessionId?: string) => ({
  dataframe_records: [{ query: 'What scopes exist?', ...(sessionId && { session_id: sessionId }) }],
});

async function errorCodeOf(response: Response): Promise<string> {
  return ((await response.json()) as { error_code: string }).error_code;
}

function rawAuthorization(authorization: string): Promise<Response> {
  return fetch(`${server.url}${invocations}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body()),
  });
}

describe('Authentication', () => {
  it.each([
    ['missing', undefined],
    ['an empty bearer', 'Bearer '],
    ['an unknown scheme', `Token ${TEST_TOKEN}`],
    ['a bearer with spaces inside', 'Bearer dapi 0123'],
    ['Basic with another user', `Basic ${Buffer.from(`admin:${TEST_TOKEN}`).toString('base64')}`],
    ['Basic that is not base64 of user:password', 'Basic !!!!'],
    ['an unknown dapi token', `Bearer ${generateToken().token}`],
    ['a known id with the wrong secret', `Bearer ${TEST_TOKEN.slice(0, -4)}ffff`],
    ['an over-long token', `Bearer ${'x'.repeat(300)}`],
  ])('answers 401 UNAUTHENTICATED for %s', async (_name, authorization) => {
    // Act
    const response =
      authorization === undefined
        ? await call(server, 'POST', invocations, undefined, body())
        : await rawAuthorization(authorization);

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await errorCodeOf(response)).toBe('UNAUTHENTICATED');
  });

  it('accepts Basic with user "token" and the token as password, as Databricks does', async () => {
    // Act
    const response = await rawAuthorization(`Basic ${Buffer.from(`token:${TEST_TOKEN}`).toString('base64')}`);

    // Assess
    expect(response.status).toBe(200);
  });

  it('refuses an expired token', async () => {
    // Prepare: minted an hour ago for half an hour.
    const past = { now: () => Date.now() - 3_600_000 };
    const { token } = await issueTestToken(server, { principal: 'late', lifetimeMs: 1_800_000 }, past);

    // Act
    const response = await call(server, 'POST', invocations, token, body());

    // Assess
    expect(response.status).toBe(401);
    expect(await errorCodeOf(response)).toBe('UNAUTHENTICATED');
  });

  it('refuses a revoked token from the next request on', async () => {
    // Prepare
    const { token, tokenId } = await issueTestToken(server, { principal: 'leaver' });
    const before = await call(server, 'POST', invocations, token, body());

    // Act
    await revokeTestToken(server, tokenId);
    const after = await call(server, 'POST', invocations, token, body());

    // Assess
    expect(before.status).toBe(200);
    expect(after.status).toBe(401);
  });
});

describe('Scopes', () => {
  const routes: { name: string; method: string; path: string; scope: Scope; body?: unknown }[] = [
    { name: 'invocations', method: 'POST', path: '', scope: 'invoke', body: body() },
    { name: 'read a session', method: 'GET', path: '/sessions/scoped', scope: 'sessions:read' },
    { name: 'list sessions', method: 'GET', path: '/sessions', scope: 'sessions:read' },
    { name: 'delete a session', method: 'DELETE', path: '/sessions/scoped', scope: 'sessions:delete' },
    {
      name: 'feedback',
      method: 'POST',
      path: '/feedback',
      scope: 'invoke',
      body: { session_id: 'scoped', rating: 1 },
    },
  ];

  it.each(routes)('answers 403 PERMISSION_DENIED to $name without the $scope scope', async (route) => {
    // Prepare
    const others = (['invoke', 'sessions:read', 'sessions:delete'] as const).filter((s) => s !== route.scope);
    const { token } = await issueTestToken(server, { principal: `no-${route.scope}`, scopes: others });
    const path = route.path || invocations;

    // Act
    const response = await call(server, route.method, path, token, route.body);

    // Assess
    expect(response.status).toBe(403);
    expect(await errorCodeOf(response)).toBe('PERMISSION_DENIED');
  });

  it('lets the admin scope stand in for every other scope, but not for ownership', async () => {
    // Prepare
    const { token: admin } = await issueTestToken(server, { principal: 'operator', scopes: ['admin'] });
    await call(server, 'POST', invocations, TEST_TOKEN, body('owned-by-local-user'));

    // Act
    const ownTurn = await call(server, 'POST', invocations, admin, body('owned-by-operator'));
    const ownRead = await call(server, 'GET', '/sessions/owned-by-operator', admin);
    const foreignRead = await call(server, 'GET', '/sessions/owned-by-local-user', admin);

    // Assess
    expect(ownTurn.status).toBe(200);
    expect(ownRead.status).toBe(200);
    expect(foreignRead.status).toBe(403);
  });
});

describe('Session ownership', () => {
  it('gives 403 to another principal on every session route and leaves the session untouched', async () => {
    // Prepare
    const { token: mallory } = await issueTestToken(server, {
      principal: 'mallory',
      scopes: ['invoke', 'sessions:read', 'sessions:delete'],
    });
    await call(server, 'POST', invocations, TEST_TOKEN, body('alice-secret'));

    // Act
    const responses = await Promise.all([
      call(server, 'POST', invocations, mallory, body('alice-secret')),
      call(server, 'GET', '/sessions/alice-secret', mallory),
      call(server, 'DELETE', '/sessions/alice-secret', mallory),
      call(server, 'POST', '/feedback', mallory, { session_id: 'alice-secret', rating: -1 }),
    ]);
    const listing = await call(server, 'GET', '/sessions', mallory);
    const ownerView = await call(server, 'GET', '/sessions/alice-secret', TEST_TOKEN);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(((await listing.json()) as { sessions: unknown[] }).sessions).toEqual([]);
    expect(ownerView.status).toBe(200);
    expect(((await ownerView.json()) as { turns: unknown[] }).turns).toHaveLength(1);
  });
});

describe('Quotas', () => {
  it('answers 429 REQUEST_LIMIT_EXCEEDED with Retry-After over the request quota, and recovers', async () => {
    // Prepare: 2 requests per 1-second window, so the test waits at most a second.
    const limited = await startTestServer({
      environment: { RAG_QUOTA_RPM: '2', RAG_QUOTA_WINDOW_SECONDS: '1' },
    });
    try {
      const { token: other } = await issueTestToken(limited, { principal: 'someone-else' });
      const send = (token = TEST_TOKEN) =>
        call(limited, 'POST', `/serving-endpoints/${limited.endpointName}/invocations`, token, body());

      // Act
      let refused: Response | undefined;
      for (let i = 0; i < 10 && refused === undefined; i++) {
        const response = await send();
        if (response.status === 429) refused = response;
        else expect(response.status).toBe(200);
      }
      const otherPrincipal = await send(other);
      const retryAfter = Number(refused?.headers.get('retry-after'));
      await sleep(retryAfter * 1000);
      const recovered = await send();

      // Assess
      expect(refused?.status).toBe(429);
      expect(await errorCodeOf(refused!)).toBe('REQUEST_LIMIT_EXCEEDED');
      expect(refused?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(otherPrincipal.status).toBe(200);
      expect(recovered.status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('refuses new requests once the token quota is spent, after charging the answer', async () => {
    // Prepare: an answer costs hundreds of (approximated) tokens; 50 are gone after the first.
    const limited = await startTestServer({ environment: { RAG_QUOTA_TPM: '50' } });
    try {
      const send = () =>
        call(limited, 'POST', `/serving-endpoints/${limited.endpointName}/invocations`, TEST_TOKEN, body());

      // Act
      const first = await send();
      const second = await send();

      // Assess
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(await errorCodeOf(second)).toBe('REQUEST_LIMIT_EXCEEDED');
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(second.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    } finally {
      await limited.stop();
    }
  });
});
