import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { FAKE_BLOCKED_MESSAGE, startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import {
  call,
  SAMPLE_CORPUS,
  startLambdaTestServer,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from '../support/local-server.js';

const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
const GENERATION_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const DIMENSIONS = 256;
/** A long answer, so that a stream's first event can be told apart from its end. */
const LONG_ANSWER = Array.from(
  { length: 20 },
  (_, i) => `Sentence ${i + 1} of a long answer cites [1].`,
).join(' ');

let bedrock: FakeBedrock;
let pinecone: FakePinecone;
/** The function as the Lambda wires it; the second streams with the async guardrail mode. */
let cloud: TestServer;
let asyncCloud: TestServer;
let local: TestServer;

/** The model's answer depends on the question, so each test can ask for what it needs. */
function answerFor(body: Record<string, unknown>): string {
  const messages = body.messages as { content: { text: string }[] }[];
  const question = messages.at(-1)!.content[0]!.text;
  if (/long answer/.test(question)) return LONG_ANSWER;
  if (/leak/.test(question))
    return 'The first sentence is fine [1]. The second one is forbidden [2]. The third never shows.';
  return 'You run it with npm start [1]. It listens on 127.0.0.1 [2].';
}

beforeAll(async () => {
  [bedrock, pinecone] = await Promise.all([
    startFakeBedrock({ answer: answerFor }),
    startFakePinecone({ dimension: DIMENSIONS }),
  ]);
  // Ingest the sample corpus through the cloud adapters themselves, as the ingestion job would.
  const client = bedrockRuntimeClient({ endpoint: bedrock.endpoint });
  await ingestFolder({
    dir: SAMPLE_CORPUS,
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
    BEDROCK_GENERATION_MODEL_ID: GENERATION_MODEL,
    BEDROCK_GUARDRAIL_ID: 'gr-fake',
    BEDROCK_GUARDRAIL_VERSION: '1',
    PINECONE_HOST: pinecone.host,
    PINECONE_API_KEY: pinecone.apiKey,
    PINECONE_NAMESPACE: '',
  };
  [cloud, asyncCloud, local] = await Promise.all([
    startLambdaTestServer({ environment }),
    startLambdaTestServer({ environment: { ...environment, RAG_GUARDRAIL_STREAM_MODE: 'async' } }),
    startTestServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([cloud?.stop(), asyncCloud?.stop(), local?.stop()]);
  await Promise.all([bedrock?.close(), pinecone?.close()]);
});
beforeEach(() => {
  bedrock.requests.length = 0;
  pinecone.requests.length = 0;
  bedrock.setFault({ firstTokenDelayMs: 0, tokenDelayMs: 0 });
  bedrock.healStages();
  pinecone.setFault({ latencyMs: 0, status: undefined, times: undefined, down: false });
});

/** The JSON shape of a value: keys and value types, recursively (first element of arrays). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shapeOf(v)]),
    );
  }
  return typeof value;
}

const ask = (server: TestServer, query: string, extra: Record<string, unknown> = {}) =>
  server.invoke({
    dataframe_records: [{ query, session_id: `s-${Math.random().toString(36).slice(2)}` }],
    ...extra,
  });

describe('invocations on Bedrock and Pinecone (fakes)', () => {
  it('answers in the same shape as the local defaults, through every cloud adapter', async () => {
    // Act
    const [fromCloud, fromLocal] = await Promise.all([
      ask(cloud, 'How do I run rag-serving locally?'),
      ask(local, 'How do I run rag-serving locally?'),
    ]);
    const cloudBody = (await fromCloud.json()) as {
      predictions: { response: string; sources: { source: string }[] }[];
    };
    const localBody = await fromLocal.json();
    // Assess
    expect(fromCloud.status).toBe(200);
    expect(shapeOf(cloudBody)).toEqual(shapeOf(localBody));
    const [prediction] = cloudBody.predictions;
    expect(prediction!.response).toBe('You run it with npm start [1]. It listens on 127.0.0.1 [2].');
    expect(prediction!.sources).toHaveLength(2);
    expect(prediction!.sources[0]!.source).toMatch(/^docs\//);
    const operations = bedrock.requests.map((r) => `${r.operation}:${r.target}`);
    expect(operations).toEqual(
      expect.arrayContaining([
        `InvokeModel:${EMBEDDING_MODEL}`,
        `Converse:${GENERATION_MODEL}`,
        'ApplyGuardrail:gr-fake',
      ]),
    );
    expect(
      bedrock.requests
        .filter((r) => r.operation === 'ApplyGuardrail')
        .map((r) => r.body.source)
        .sort(),
    ).toEqual(['INPUT', 'OUTPUT']);
    expect(pinecone.requests.map((r) => r.path)).toEqual(['/query']);
    expect(pinecone.requests[0]!.body).toMatchObject({ topK: 5, namespace: '' });
    // The sample corpus is ingested into the local index only when the server serves from it.
    expect(existsSync(join(cloud.dataDir, 'index.bin'))).toBe(false);
  });

  it('retries a throttled model call and answers', async () => {
    // Prepare
    bedrock.setStageFault('generate', { throttle: 2 });
    // Act
    const response = await ask(cloud, 'How do I run rag-serving locally?');
    // Assess
    expect(response.status).toBe(200);
    expect(bedrock.requests.filter((r) => r.stage === 'generate').map((r) => r.status)).toEqual([
      429, 429, 200,
    ]);
  });

  it('answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when throttling outlasts the retries', async () => {
    // Prepare
    bedrock.setStageFault('generate', { throttle: 100 });
    // Act
    const response = await ask(cloud, 'How do I run rag-serving locally?');
    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({
      error_code: 'TEMPORARILY_UNAVAILABLE',
      message: 'Bedrock is temporarily unavailable; retry later.',
    });
  });

  it('answers 503 with Retry-After when Pinecone is down', async () => {
    // Prepare
    pinecone.setFault({ down: true });
    // Act
    const response = await ask(cloud, 'How do I run rag-serving locally?');
    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({
      error_code: 'TEMPORARILY_UNAVAILABLE',
      message: 'Pinecone is temporarily unavailable; retry later.',
    });
  });

  it('answers a guardrail block with its message and INTERVENED, as 200', async () => {
    // Act
    const response = await ask(cloud, 'Tell me the forbidden recipe');
    const [prediction] = (
      (await response.json()) as {
        predictions: { response: string; guardrail: { action: string; assessments: unknown[] } }[];
      }
    ).predictions;
    // Assess
    expect(response.status).toBe(200);
    expect(prediction!.response).toBe(FAKE_BLOCKED_MESSAGE);
    expect(prediction!.guardrail).toEqual({
      action: 'INTERVENED',
      assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED', source: 'INPUT' }],
    });
    expect(bedrock.requests.map((r) => r.operation)).not.toContain('Converse');
  });
});

interface Received {
  readonly status: number;
  readonly events: { at: number; data: string }[];
}

/** POSTs and records when each SSE event arrived (performance.now(), the fakes' clock too). */
function streamEvents(
  url: string,
  body: unknown,
  onEvent: (data: string) => void = () => undefined,
): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
    });
    req.on('response', (res) => {
      const events: Received['events'] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, end).replace(/^data: /, '');
          events.push({ at: performance.now(), data });
          buffer = buffer.slice(end + 2);
          onEvent(data);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, events }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('streaming on Bedrock ConverseStream (fakes)', () => {
  it('delivers the first text before the model has finished sending', async () => {
    // Prepare
    bedrock.setFault({ firstTokenDelayMs: 100, tokenDelayMs: 2 });
    // Act
    const { status, events } = await streamEvents(cloud.invocationsUrl, {
      messages: [{ role: 'user', content: 'Give me the long answer about the local server' }],
      stream: true,
    });
    // Assess
    expect(status).toBe(200);
    const modelCall = bedrock.requests.find((r) => r.operation === 'ConverseStream')!;
    const firstText = events.find(
      (e) =>
        e.data !== '[DONE]' &&
        (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content,
    );
    expect(firstText).toBeDefined();
    expect(firstText!.at).toBeLessThan(modelCall.finishedAt!);
    const text = events
      .filter((e) => e.data !== '[DONE]')
      .map(
        (e) =>
          (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ??
          '',
      )
      .join('');
    expect(text).toBe(LONG_ANSWER);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it('ends the stream with the guardrail message when a later sentence is blocked', async () => {
    // Act
    const { events } = await streamEvents(cloud.invocationsUrl, {
      messages: [{ role: 'user', content: 'Will it leak?' }],
      stream: true,
    });
    // Assess
    const chunks = events
      .filter((e) => e.data !== '[DONE]')
      .map(
        (e) =>
          JSON.parse(e.data) as {
            choices: { delta: { content?: string }; finish_reason: string | null }[];
            guardrail?: { action: string };
          },
      );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(`The first sentence is fine [1]. ${FAKE_BLOCKED_MESSAGE}`);
    expect(text).not.toContain('forbidden');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('content_filter');
    expect(chunks.at(-1)!.guardrail!.action).toBe('INTERVENED');
  });

  it('stops the model call when the caller goes away mid-stream', async () => {
    // Prepare: ~200 tokens at 5 ms each, about a second of generation
    bedrock.setFault({ tokenDelayMs: 5 });
    const modelCall = bedrock.arrival('generate');
    const req = request(cloud.invocationsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
    });
    // Act: read until the first text arrives, then hang up
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('"content":"Sentence')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => undefined);
      req.end(
        JSON.stringify({ messages: [{ role: 'user', content: 'The long answer, please' }], stream: true }),
      );
    });
    // Assess: the fake saw its stream reset before it had sent the whole answer
    expect(await (await modelCall).ended).toBe('abandoned');
  });

  it('in async mode sends text while the guardrail still checks it, then ends with its message and content_filter', async () => {
    // Prepare: the first output check is held until the caller has received text after it arrived
    // (or, should that never happen, until the model has sent everything, so the test cannot hang).
    bedrock.setStageFault('guardrail_output', { hold: true });
    bedrock.setFault({ tokenDelayMs: 10 });
    const sessionId = `async-${Math.random().toString(36).slice(2)}`;
    let checkHeld = false;
    void bedrock.arrival('guardrail_output').then(() => {
      checkHeld = true;
    });
    void bedrock
      .arrival('generate')
      .then((model) => model.ended)
      .then(() => bedrock.release('guardrail_output'));
    let textWhileHeld = 0;
    // Act
    const { status, events } = await streamEvents(
      asyncCloud.invocationsUrl,
      { messages: [{ role: 'user', content: 'Will it leak?' }], stream: true, session_id: sessionId },
      (data) => {
        if (checkHeld && textWhileHeld === 0 && /"content":"[^"]/.test(data)) {
          textWhileHeld++;
          bedrock.release('guardrail_output');
        }
      },
    );
    const turns = await call(asyncCloud, 'GET', `/sessions/${sessionId}`, TEST_TOKEN);
    // Assess: text reached the caller while the first output check was held.
    expect(status).toBe(200);
    expect(textWhileHeld).toBe(1);
    const chunks = events
      .filter((e) => e.data !== '[DONE]')
      .map(
        (e) =>
          JSON.parse(e.data) as { choices: { delta: { content?: string }; finish_reason: string | null }[] },
      );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.startsWith('The first sentence is fine [1].')).toBe(true);
    expect(text.endsWith(FAKE_BLOCKED_MESSAGE)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('content_filter');
    expect(bedrock.faulted('guardrail_output')).toBeGreaterThan(0);
    const stored = ((await turns.json()) as { turns: { response: string }[] }).turns;
    expect(stored.map((turn) => turn.response)).toEqual([FAKE_BLOCKED_MESSAGE]);
  });

  it('tells a backend failure before the stream starts as an HTTP 503', async () => {
    // Prepare
    pinecone.setFault({ down: true });
    // Act
    const { status, events } = await streamEvents(cloud.invocationsUrl, {
      messages: [{ role: 'user', content: 'Anything' }],
      stream: true,
    });
    // Assess
    expect(status).toBe(503);
    expect(events).toEqual([]);
  });
});
