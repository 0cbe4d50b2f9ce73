import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RagApiError,
  RagClient,
  RagConfigurationError,
  RagConnectionError,
  RagTimeoutError,
  type RetryNotice,
  type StreamEvent,
} from '../../src/client/index.js';
import { issueTestToken, startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

let server: TestServer;
let rag: RagClient;

beforeAll(async () => {
  server = await startTestServer();
  rag = new RagClient({ baseUrl: server.url, token: TEST_TOKEN, env: {} });
});
afterAll(async () => {
  await server?.stop();
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A TCP server that accepts connections and never answers: a backend that hangs. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        tcp.close(() => resolve());
      }),
  };
}

describe('Class: RagClient, configuration', () => {
  it('prefers options, then RAG_URL and RAG_TOKEN, then DATABRICKS_HOST and DATABRICKS_TOKEN', () => {
    // Prepare
    const databricks = { DATABRICKS_HOST: 'adb-1.example.net', DATABRICKS_TOKEN: 'dapi-d' };

    // Act
    const fromDatabricks = new RagClient({ env: databricks }).connection;
    const fromRag = new RagClient({
      env: { ...databricks, RAG_URL: 'http://127.0.0.1:9/', RAG_TOKEN: 'dapi-r', RAG_ENDPOINT_NAME: 'docs' },
    }).connection;
    const fromOptions = new RagClient({
      baseUrl: 'http://127.0.0.1:7',
      token: 'dapi-o',
      endpointName: 'faq',
      env: { RAG_URL: 'http://127.0.0.1:9', RAG_TOKEN: 'dapi-r' },
    }).connection;

    // Assess
    expect(fromDatabricks).toEqual({
      baseUrl: 'https://adb-1.example.net',
      token: 'dapi-d',
      endpointName: 'rag',
    });
    expect(fromRag).toEqual({ baseUrl: 'http://127.0.0.1:9', token: 'dapi-r', endpointName: 'docs' });
    expect(fromOptions).toEqual({ baseUrl: 'http://127.0.0.1:7', token: 'dapi-o', endpointName: 'faq' });
  });

  it('keeps the stage path of a deployed API in every request URL', async () => {
    // Prepare: the platform fetch is swapped for one that records where requests go.
    const requested: string[] = [];
    const recordingFetch: typeof fetch = async (input) => {
      requested.push(String(input));
      return new Response(JSON.stringify({ predictions: [{ response: 'ok' }] }), {
        headers: { 'content-type': 'application/json' },
      });
    };
    const client = new RagClient({
      env: { RAG_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev/', RAG_TOKEN: 'dapi-x' },
      fetch: recordingFetch,
    });

    // Act
    await client.ask('Hello?');
    await client.sessions.list({ pageSize: 5 });

    // Assess
    expect(requested).toEqual([
      'https://abc123.execute-api.us-east-1.amazonaws.com/dev/serving-endpoints/rag/invocations',
      'https://abc123.execute-api.us-east-1.amazonaws.com/dev/sessions?page_size=5',
    ]);
  });

  it('refuses to start without a URL or a token, naming the variables to set', () => {
    expect(() => new RagClient({ env: { RAG_TOKEN: 'dapi-x' } })).toThrow(RagConfigurationError);
    expect(() => new RagClient({ env: { RAG_TOKEN: 'dapi-x' } })).toThrow(/RAG_URL/);
    expect(() => new RagClient({ env: { RAG_URL: 'http://127.0.0.1:9', RAG_TOKEN: ' ' } })).toThrow(
      /RAG_TOKEN/,
    );
  });
});

describe('Class: RagClient, against the local server', () => {
  it('asks a question, starts a session, and continues it with a follow-up', async () => {
    // Act
    const first = await rag.ask('How do I run rag-serving locally?');
    const followUp = await rag.ask('Where does it keep its data?', { sessionId: first.session_id, topK: 3 });

    // Assess
    expect(first.response.length).toBeGreaterThan(0);
    expect(first.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.sources.length).toBeGreaterThan(0);
    expect(first.guardrail.action).toBe('NONE');
    expect(followUp.session_id).toBe(first.session_id);
    expect(followUp.sources.length).toBeLessThanOrEqual(3);
    const page = await rag.sessions.get(first.session_id);
    expect(page.turns.map((turn) => turn.query)).toEqual([
      'How do I run rag-serving locally?',
      'Where does it keep its data?',
    ]);
  });

  it('answers a batch in order, with a trace when asked', async () => {
    // Prepare
    const questions = ['What is a guardrail?', 'How do I change the port?', 'What file types can I ingest?'];

    // Act
    const predictions = await rag.askBatch(
      [questions[0]!, { query: questions[1]!, sessionId: 'client-batch' }, questions[2]!],
      { returnTrace: true },
    );

    // Assess
    expect(predictions).toHaveLength(3);
    expect(predictions[1]!.session_id).toBe('client-batch');
    expect(predictions.map((p) => p.trace?.retrieval_question)).toEqual(questions);
  });

  it('streams the answer as text events and ends with the stored prediction', async () => {
    // Act
    const events = await collect(rag.stream('How do I ingest my own documents?'));

    // Assess
    const texts = events.filter((e) => e.type === 'text').map((e) => e.text);
    const done = events.at(-1);
    expect(texts.length).toBeGreaterThan(0);
    expect(done?.type).toBe('done');
    if (done?.type !== 'done') return;
    expect(done.finishReason).toBe('stop');
    expect(done.prediction.response).toBe(texts.join(''));
    expect(done.prediction.sources.length).toBeGreaterThan(0);
    expect(done.prediction.usage.output_tokens).toBeGreaterThan(0);
    const stored = await rag.sessions.get(done.prediction.session_id);
    expect(stored.turns.map((turn) => turn.response)).toEqual([done.prediction.response]);
  });

  it('lists, pages through and deletes sessions', async () => {
    // Prepare
    const { token } = await issueTestToken(server, {
      principal: 'client-sessions',
      scopes: ['invoke', 'sessions:read', 'sessions:delete'],
    });
    const own = new RagClient({ baseUrl: server.url, token, env: {} });
    for (const id of ['client-s1', 'client-s2'])
      await own.ask(`Question for ${id} about tokens`, { sessionId: id });
    await own.ask('A second question about scopes', { sessionId: 'client-s1' });

    // Act
    const listed = await own.sessions.list({ pageSize: 1 });
    const next = await own.sessions.list({ pageSize: 1, pageToken: listed.next_page_token! });
    const firstPage = await own.sessions.get('client-s1', { pageSize: 1 });
    await own.sessions.delete('client-s1');
    const gone = await own.sessions.get('client-s1').catch((error: unknown) => error);

    // Assess
    expect([...listed.sessions, ...next.sessions].map((s) => s.session_id).sort()).toEqual([
      'client-s1',
      'client-s2',
    ]);
    expect(next.next_page_token).toBeUndefined();
    expect(firstPage.turns).toHaveLength(1);
    expect(firstPage.next_page_token).toBeDefined();
    expect(gone).toBeInstanceOf(RagApiError);
    expect(gone).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('records feedback on an own session and is refused on somebody else’s', async () => {
    // Prepare
    const { session_id } = await rag.ask('How are tokens stored?');
    const { token } = await issueTestToken(server, { principal: 'client-stranger' });
    const stranger = new RagClient({ baseUrl: server.url, token, env: {} });

    // Act
    const receipt = await rag.feedback(session_id, 'up', { comment: 'clear answer' });
    const refused = await stranger.feedback(session_id, 'down').catch((error: unknown) => error);

    // Assess
    expect(receipt.session_id).toBe(session_id);
    expect(receipt.feedback_id.length).toBeGreaterThan(0);
    expect(refused).toMatchObject({ status: 403, errorCode: 'PERMISSION_DENIED', isAuthError: true });
  });

  it('throws a typed 401 for an unknown token, with the request id', async () => {
    // Prepare
    const intruder = new RagClient({ baseUrl: server.url, token: 'dapi-not-a-real-token', env: {} });

    // Act
    const error = await intruder.ask('Am I in?').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(RagApiError);
    expect(error).toMatchObject({ status: 401, errorCode: 'UNAUTHENTICATED', isAuthError: true });
    expect((error as RagApiError).requestId).toMatch(/.+/);
  });

  it('throws a typed 400 that names the bad value, without retrying', async () => {
    // Prepare
    const retries: RetryNotice[] = [];
    const client = new RagClient({
      baseUrl: server.url,
      token: TEST_TOKEN,
      env: {},
      onRetry: (n) => retries.push(n),
    });

    // Act
    const error = await client.ask('x'.repeat(10_001)).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect((error as Error).message).toMatch(/10000/);
    expect(retries).toEqual([]);
  });

  it('stops a stream when its abort signal fires, with the signal’s reason', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('the user pressed Ctrl-C');
    const seen: StreamEvent[] = [];

    // Act
    const outcome = await (async () => {
      for await (const event of rag.stream('How do I run rag-serving locally?', {
        abortSignal: controller.signal,
      })) {
        seen.push(event);
        controller.abort(reason);
      }
    })().catch((error: unknown) => error);

    // Assess
    expect(outcome).toBe(reason);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.type).toBe('text');
  });

  it('rejects at once with the reason of an already aborted signal, sending nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled before sending'));
    await expect(rag.ask('Anything?', { abortSignal: controller.signal })).rejects.toThrow(
      'cancelled before sending',
    );
  });
});

describe('Class: RagClient, failures of the connection', () => {
  it('gives up after timeoutMs on a server that never answers', async () => {
    // Prepare
    const silent = await silentServer();
    const client = new RagClient({ baseUrl: silent.url, token: TEST_TOKEN, env: {}, timeoutMs: 200 });

    // Act
    const error = await client.ask('Hello?').catch((caught: unknown) => caught);
    await silent.close();

    // Assess
    expect(error).toBeInstanceOf(RagTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 200 });
  });

  it('reports an unreachable server as a connection error', async () => {
    // Prepare: a port that was free a moment ago and has nobody listening now.
    const closed = await silentServer();
    await closed.close();
    const client = new RagClient({ baseUrl: closed.url, token: TEST_TOKEN, env: {} });

    // Act
    const error = await client.ask('Hello?').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(RagConnectionError);
    expect((error as Error).message).toContain(closed.url);
  });
});

describe('Class: RagClient, quotas', () => {
  let limited: TestServer;

  beforeAll(async () => {
    // One request per principal per one-second window: the second request of a window is refused.
    limited = await startTestServer({ environment: { RAG_QUOTA_RPM: '1', RAG_QUOTA_WINDOW_SECONDS: '1' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('throws the 429 with its Retry-After when retries are off', async () => {
    // Prepare
    const client = new RagClient({ baseUrl: limited.url, token: TEST_TOKEN, env: {}, maxRetries: 0 });

    // Act: the second of two requests made back to back is over the limit (unless a window ends
    // between them, so keep asking until one is refused).
    let refused: unknown;
    for (let i = 0; i < 5 && refused === undefined; i++) {
      refused = await client.ask('What is a quota?').then(
        () => undefined,
        (error: unknown) => error,
      );
    }

    // Assess
    expect(refused).toBeInstanceOf(RagApiError);
    expect(refused).toMatchObject({ status: 429, errorCode: 'REQUEST_LIMIT_EXCEEDED', retryAfterSeconds: 1 });
  });

  it('waits out the Retry-After of a 429 and then answers', async () => {
    // Prepare
    const retries: RetryNotice[] = [];
    const client = new RagClient({
      baseUrl: limited.url,
      token: TEST_TOKEN,
      env: {},
      onRetry: (notice) => retries.push(notice),
    });

    // Act: back-to-back questions until one had to wait for the next window.
    const answers = [];
    for (let i = 0; i < 5 && retries.length === 0; i++) answers.push(await client.ask('How do quotas work?'));

    // Assess
    expect(retries[0]).toEqual({ retry: 1, status: 429, errorCode: 'REQUEST_LIMIT_EXCEEDED', delayMs: 1000 });
    expect(answers.at(-1)!.response.length).toBeGreaterThan(0);
  });

  it('stops waiting for a retry when aborted', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('no more waiting');
    const client = new RagClient({
      baseUrl: limited.url,
      token: TEST_TOKEN,
      env: {},
      onRetry: () => controller.abort(reason),
    });

    // Act
    let outcome: unknown;
    for (let i = 0; i < 5 && outcome === undefined; i++) {
      outcome = await client.ask('Is there a limit?', { abortSignal: controller.signal }).then(
        () => undefined,
        (error: unknown) => error,
      );
    }

    // Assess
    expect(outcome).toBe(reason);
  });
});

describe('Package: @rag-serving/client', () => {
  const packageDir = fileURLToPath(new URL('../../src/client/', import.meta.url));

  it('imports nothing but its own modules (no server code, no dependencies)', async () => {
    // Prepare
    const files = (await readdir(packageDir)).filter((name) => name.endsWith('.ts'));

    // Act
    const imports = await Promise.all(
      files.map(async (name) => {
        const source = await readFile(join(packageDir, name), 'utf8');
        return [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]!);
      }),
    );

    // Assess
    expect(files.length).toBeGreaterThan(3);
    expect(imports.flat().filter((specifier) => !/^\.\/[\w-]+\.js$/.test(specifier))).toEqual([]);
  });

  it('builds with its own tsconfig and answers from its build, configured by RAG_URL and RAG_TOKEN', async () => {
    // Prepare
    const outDir = await mkdtemp(join(tmpdir(), 'rag-client-build-'));
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    const run = promisify(execFile);
    try {
      await run(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.json'), '--outDir', outDir]);
      const script = `
        const { RagClient } = await import(${JSON.stringify(join(outDir, 'index.js'))});
        const prediction = await new RagClient().ask('What is a guardrail?');
        console.log(JSON.stringify(prediction));`;

      // Act
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, RAG_URL: server.url, RAG_TOKEN: TEST_TOKEN },
      });

      // Assess
      const prediction = JSON.parse(stdout) as { response: string; session_id: string };
      expect(prediction.response.length).toBeGreaterThan(0);
      expect(prediction.session_id.length).toBeGreaterThan(0);
      expect((await readdir(outDir)).filter((name) => name.endsWith('.d.ts'))).toContain('index.d.ts');
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
