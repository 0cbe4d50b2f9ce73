import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  issueTestToken,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from '../support/local-server.js';

let server: TestServer;
let bob: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ token: bob } = await issueTestToken(server, {
    principal: 'bob',
    scopes: ['invoke', 'sessions:read', 'sessions:delete'],
  }));
});
afterAll(async () => {
  await server.stop();
});

interface WireTurn {
  query: string;
  response: string;
  sources: { id: string; source: string; score: number; text: string }[];
  created_at: string;
}
interface SessionPage {
  session_id: string;
  turns: WireTurn[];
  next_page_token?: string;
}

async function ask(sessionId: string, query: string, token = TEST_TOKEN): Promise<Response> {
  return call(server, 'POST', `/serving-endpoints/${server.endpointName}/invocations`, token, {
    dataframe_records: [{ query, session_id: sessionId }],
  });
}

async function readAllTurns(sessionId: string, pageSize: number, token = TEST_TOKEN): Promise<SessionPage[]> {
  const pages: SessionPage[] = [];
  let pageToken: string | undefined;
  do {
    const query = `?page_size=${pageSize}${pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ''}`;
    const response = await call(server, 'GET', `/sessions/${sessionId}${query}`, token);
    expect(response.status).toBe(200);
    const page = (await response.json()) as SessionPage;
    pages.push(page);
    pageToken = page.next_page_token;
  } while (pageToken !== undefined && pages.length < 50);
  return pages;
}

describe('GET /sessions/{id}', () => {
  it('pages through the turns oldest first, with no token on the last page', async () => {
    // Prepare
    const sessionId = 'api-paged';
    for (let i = 0; i < 5; i++) expect((await ask(sessionId, `question ${i} about quotas`)).status).toBe(200);

    // Act
    const pages = await readAllTurns(sessionId, 2);

    // Assess
    expect(pages.map((page) => page.turns.map((turn) => turn.query))).toEqual([
      ['question 0 about quotas', 'question 1 about quotas'],
      ['question 2 about quotas', 'question 3 about quotas'],
      ['question 4 about quotas'],
    ]);
    expect(pages.at(-1)).not.toHaveProperty('next_page_token');
    const first = pages[0]!.turns[0]!;
    expect(first.response.length).toBeGreaterThan(0);
    expect(new Date(first.created_at).toISOString()).toBe(first.created_at);
    expect(pages[0]!.session_id).toBe(sessionId);
  });

  it('keeps every one of twelve concurrent turns of one session, in the order they were stored', async () => {
    // Prepare
    const sessionId = 'api-concurrent';
    const queries = Array.from({ length: 12 }, (_, i) => `concurrent turn ${i}`);

    // Act
    const statuses = await Promise.all(queries.map(async (query) => (await ask(sessionId, query)).status));
    const turns = (await readAllTurns(sessionId, 5)).flatMap((page) => page.turns);

    // Assess
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(turns.map((turn) => turn.query).sort()).toEqual([...queries].sort());
    const times = turns.map((turn) => Date.parse(turn.created_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('answers 404 for an unknown session and 400 for a bad page size or token', async () => {
    // Act
    const unknown = await call(server, 'GET', '/sessions/never-created', TEST_TOKEN);
    const badSize = await call(server, 'GET', '/sessions/never-created?page_size=0', TEST_TOKEN);
    await ask('api-bad-token', 'hello');
    const badToken = await call(server, 'GET', '/sessions/api-bad-token?page_token=garbage', TEST_TOKEN);

    // Assess
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(badSize.status).toBe(400);
    expect(await badSize.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(badToken.status).toBe(400);
    expect(await badToken.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuses another principal with 403 and shows nothing of the session', async () => {
    // Prepare
    await ask('api-private', 'my private question');

    // Act
    const read = await call(server, 'GET', '/sessions/api-private', bob);
    const erase = await call(server, 'DELETE', '/sessions/api-private', bob);
    const hijack = await ask('api-private', 'let me in', bob);

    // Assess
    for (const response of [read, erase, hijack]) {
      expect(response.status).toBe(403);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(text).not.toContain('my private question');
    }
    const owner = (await readAllTurns('api-private', 10)).flatMap((page) => page.turns);
    expect(owner.map((turn) => turn.query)).toEqual(['my private question']);
  });
});

describe('DELETE /sessions/{id}', () => {
  it('erases every turn: 204, then 404 for reads and further deletes', async () => {
    // Prepare
    const sessionId = 'api-erase';
    for (let i = 0; i < 3; i++) await ask(sessionId, `turn ${i}`);
    await call(server, 'POST', '/feedback', TEST_TOKEN, { session_id: sessionId, rating: 1 });

    // Act
    const erased = await call(server, 'DELETE', `/sessions/${sessionId}`, TEST_TOKEN);
    const readAfter = await call(server, 'GET', `/sessions/${sessionId}`, TEST_TOKEN);
    const again = await call(server, 'DELETE', `/sessions/${sessionId}`, TEST_TOKEN);
    const fresh = await ask(sessionId, 'a new start');

    // Assess
    expect(erased.status).toBe(204);
    expect(await erased.text()).toBe('');
    expect(erased.headers.get('x-request-id')).toBeTruthy();
    expect(readAfter.status).toBe(404);
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(fresh.status).toBe(200);
    const turns = (await readAllTurns(sessionId, 10)).flatMap((page) => page.turns);
    expect(turns.map((turn) => turn.query)).toEqual(['a new start']);
  });
});

describe('GET /sessions', () => {
  it("lists only the caller's own sessions, newest first, a page at a time", async () => {
    // Prepare
    const { token: carol } = await issueTestToken(server, {
      principal: 'carol',
      scopes: ['invoke', 'sessions:read'],
    });
    for (const id of ['carol-1', 'carol-2', 'carol-3']) await ask(id, 'hello', carol);
    await ask('bob-only', 'hello', bob);

    // Act
    const ids: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const response = await call(
        server,
        'GET',
        `/sessions?page_size=2${pageToken ? `&page_token=${pageToken}` : ''}`,
        carol,
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        sessions: { session_id: string }[];
        next_page_token?: string;
      };
      ids.push(...page.sessions.map((session) => session.session_id));
      pageToken = page.next_page_token;
      pages++;
    } while (pageToken !== undefined && pages < 10);

    // Assess
    expect(ids).toEqual(['carol-3', 'carol-2', 'carol-1']);
    expect(pages).toBe(2);
  });
});

describe('POST /feedback', () => {
  it('stores a rating from the owner and refuses others, bad ratings and unknown fields', async () => {
    // Prepare
    await ask('api-feedback', 'Was this helpful?');

    // Act
    const accepted = await call(server, 'POST', '/feedback', TEST_TOKEN, {
      session_id: 'api-feedback',
      rating: -1,
      comment: 'missed the point',
    });
    const foreign = await call(server, 'POST', '/feedback', bob, { session_id: 'api-feedback', rating: 1 });
    const badRating = await call(server, 'POST', '/feedback', TEST_TOKEN, {
      session_id: 'api-feedback',
      rating: 5,
    });
    const extra = await call(server, 'POST', '/feedback', TEST_TOKEN, {
      session_id: 'api-feedback',
      rating: 1,
      stars: 5,
    });
    const missing = await call(server, 'POST', '/feedback', TEST_TOKEN, {
      session_id: 'no-such-session',
      rating: 1,
    });

    // Assess
    expect(accepted.status).toBe(201);
    expect(await accepted.json()).toMatchObject({
      session_id: 'api-feedback',
      feedback_id: expect.any(String),
    });
    expect(foreign.status).toBe(403);
    expect(badRating.status).toBe(400);
    expect(await badRating.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(missing.status).toBe(404);
    const turns = (await readAllTurns('api-feedback', 10)).flatMap((page) => page.turns);
    expect(turns).toHaveLength(1);
  });
});
