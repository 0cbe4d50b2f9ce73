import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleEmbedder } from '../../src/adapters/openai-compatible/openai-compatible-embedder.js';
import { OpenAICompatibleGenerator } from '../../src/adapters/openai-compatible/openai-compatible-generator.js';
import { BackendMisconfiguredError, BackendUnavailableError } from '../../src/core/errors.js';
import type { GenerateChunk, GenerateOptions } from '../../src/core/ports/generator.js';
import type { RetrievedChunk, Turn } from '../../src/core/ports/types.js';
import {
  fakeEmbedding,
  startFakeOpenAIServer,
  type ChatRequestBody,
  type FakeOpenAIServer,
} from '../fakes/fake-openai-server.js';
import { startTestServer, type TestServer } from '../support/local-server.js';

const CHAT_MODEL = 'llama3.2:1b';
const EMBEDDING_MODEL = 'nomic-embed-text';
const DIMENSIONS = 8;

/** The fake model answers from what it was asked, so each test can see what was sent. */
function answerFor(body: ChatRequestBody): string {
  const system = body.messages[0]?.content ?? '';
  const last = body.messages.at(-1)?.content ?? '';
  if (system.startsWith("Rewrite the user's follow-up"))
    return 'How do I change the port of the local server?';
  if (/port/i.test(last)) return 'Set PORT before npm start [2]. The default is 8080 [1][2].';
  return 'I could not find it in the indexed documents.';
}

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({
    chatModels: [CHAT_MODEL],
    embeddingModels: [EMBEDDING_MODEL],
    answer: answerFor,
    dimensions: DIMENSIONS,
  });
});
afterAll(async () => {
  await server.close();
});

const passage = (id: string, text: string): RetrievedChunk => ({
  id,
  text,
  title: id,
  location: `docs/${id}.md`,
  metadata: {},
  score: 1,
});
const PASSAGES = [
  passage('defaults', 'PORT defaults to 8080.'),
  passage('start', 'Set PORT before npm start.'),
];
const ask = (question: string, history: Turn[] = []): GenerateOptions => ({
  question,
  passages: PASSAGES,
  history,
  params: { maxTokens: 200, temperature: 0.1 },
});
const generator = (model = CHAT_MODEL, baseUrl = server.baseUrl) =>
  new OpenAICompatibleGenerator({ baseUrl, model, apiKey: 'local-key' });

describe('Class: OpenAICompatibleGenerator (against a fake OpenAI-compatible server)', () => {
  it('answers with the numbered passages in the system prompt and cites what the reply marks', async () => {
    // Act
    const result = await generator().generate(ask('How do I change the port?'));
    // Assess
    expect(result).toEqual({
      text: 'Set PORT before npm start [2]. The default is 8080 [1][2].',
      citations: [2, 1],
      usage: { inputTokens: expect.any(Number), outputTokens: 11 },
    });
    const request = server.requests.at(-1)!;
    expect(request.authorization).toBe('Bearer local-key');
    expect(request.body).toMatchObject({ model: CHAT_MODEL, max_tokens: 200, temperature: 0.1 });
    const messages = request.body.messages as { role: string; content: string }[];
    expect(messages[0]?.content).toContain('[2] start (docs/start.md)\nSet PORT before npm start.');
  });

  it('streams the same answer as text deltas and ends with citations and usage', async () => {
    // Act
    const chunks: GenerateChunk[] = [];
    for await (const chunk of generator().stream(ask('How do I change the port?'))) chunks.push(chunk);
    // Assess
    const texts = chunks.flatMap((c) => (c.type === 'text' ? [c.text] : []));
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe('Set PORT before npm start [2]. The default is 8080 [1][2].');
    expect(chunks.at(-1)).toEqual({
      type: 'finish',
      citations: [2, 1],
      usage: { inputTokens: expect.any(Number), outputTokens: 11 },
    });
    expect(server.requests.at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('condenses a follow-up with the same model, and leaves a first question alone', async () => {
    // Prepare
    const history: Turn[] = [
      {
        sessionId: 's',
        query: 'How do I run it locally?',
        response: 'With npm start [1].',
        sources: [],
        createdAt: 0,
      },
    ];
    const before = server.requests.length;
    // Act
    const first = await generator().condense({ question: 'Where is the port set?', history: [] });
    const followUp = await generator().condense({ question: 'And the port?', history });
    // Assess
    expect(first.question).toBe('Where is the port set?');
    expect(followUp.question).toBe('How do I change the port of the local server?');
    expect(server.requests.length).toBe(before + 1);
    expect(server.requests.at(-1)?.body).toMatchObject({ model: CHAT_MODEL, temperature: 0 });
  });

  it('answers 503 with Retry-After when the model server is down or overloaded', async () => {
    // Prepare
    const down = await startFakeOpenAIServer({
      chatModels: [CHAT_MODEL],
      embeddingModels: [],
      answer: answerFor,
    });
    const downUrl = down.baseUrl;
    await down.close();
    // Act
    const unreachable = generator(CHAT_MODEL, downUrl).generate(ask('port?'));
    server.overloaded = true;
    const busy = generator()
      .generate(ask('port?'))
      .finally(() => (server.overloaded = false));
    // Assess
    await expect(unreachable).rejects.toMatchObject({
      status: 503,
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      retryAfterSeconds: 1,
    });
    await expect(unreachable).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(busy).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
  });

  it('fails for good, naming the setting, when the model does not exist', async () => {
    // Act
    const failing = generator('no-such-model').generate(ask('port?'));
    // Assess
    await expect(failing).rejects.toBeInstanceOf(BackendMisconfiguredError);
    await expect(failing).rejects.toMatchObject({
      status: 500,
      errorCode: 'BACKEND_MISCONFIGURED',
      retryAfterSeconds: undefined,
    });
    await expect(failing).rejects.toThrow(/has no model 'no-such-model'; set RAG_OPENAI_MODEL/);
  });
});

describe('Class: OpenAICompatibleEmbedder (against a fake OpenAI-compatible server)', () => {
  it('embeds texts in batches, in order, and learns the vector length', async () => {
    // Prepare
    const embedder = new OpenAICompatibleEmbedder({
      baseUrl: server.baseUrl,
      model: EMBEDDING_MODEL,
      batchSize: 2,
    });
    const texts = ['alpha', 'beta', 'gamma'];
    const before = server.requests.length;
    // Act
    const result = await embedder.embed({ texts, purpose: 'document' });
    // Assess
    expect(embedder.dimensions).toBe(DIMENSIONS);
    expect(result.vectors).toEqual(texts.map((text) => fakeEmbedding(text, DIMENSIONS)));
    expect(server.requests.length).toBe(before + 2);
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 0 });
  });

  it('fails for good, naming RAG_OPENAI_EMBEDDING_MODEL, for an unknown model', async () => {
    // Act
    const failing = new OpenAICompatibleEmbedder({ baseUrl: server.baseUrl, model: 'nope' }).embed({
      texts: ['x'],
      purpose: 'query',
    });
    // Assess
    await expect(failing).rejects.toThrow(/has no model 'nope'; set RAG_OPENAI_EMBEDDING_MODEL/);
  });
});

describe('npm start with RAG_GENERATOR and RAG_EMBEDDER set to openai-compatible', () => {
  let local: TestServer;
  beforeAll(async () => {
    local = await startTestServer({
      environment: {
        RAG_GENERATOR: 'openai-compatible',
        RAG_EMBEDDER: 'openai-compatible',
        RAG_OPENAI_BASE_URL: server.baseUrl,
        RAG_OPENAI_MODEL: CHAT_MODEL,
        RAG_OPENAI_EMBEDDING_MODEL: EMBEDDING_MODEL,
      },
    });
  });
  afterAll(async () => {
    await local.stop();
  });

  it('answers from the model with the cited chunks as sources, over dense vectors in the local index', async () => {
    // Act
    const response = await local.invoke({
      dataframe_records: [{ query: 'How do I change the port?' }],
      params: { return_trace: true },
    });
    // Assess
    const { predictions } = (await response.json()) as {
      predictions: { response: string; sources: unknown[]; trace: { retrieved: unknown[] } }[];
    };
    expect(response.status).toBe(200);
    expect(predictions[0]?.response).toBe('Set PORT before npm start [1]. The default is 8080 [2][1].');
    expect(predictions[0]?.sources).toHaveLength(2);
    const embedded = server.requests.filter((r) => r.path === '/v1/embeddings');
    expect(embedded.some((r) => (r.body.input as string[]).includes('How do I change the port?'))).toBe(true);
  });

  it('answers a clear 500 when the model is unknown, and 503 with Retry-After when the server is busy', async () => {
    // Prepare
    const wrong = await startTestServer({
      environment: {
        RAG_GENERATOR: 'openai-compatible',
        RAG_OPENAI_BASE_URL: server.baseUrl,
        RAG_OPENAI_MODEL: 'missing-model',
      },
    });
    try {
      // Act
      const misconfigured = await wrong.invoke({ dataframe_records: [{ query: 'port?' }] });
      server.overloaded = true;
      const busy = await local
        .invoke({ dataframe_records: [{ query: 'port?' }] })
        .finally(() => (server.overloaded = false));
      // Assess
      expect(misconfigured.status).toBe(500);
      expect(await misconfigured.json()).toMatchObject({
        error_code: 'BACKEND_MISCONFIGURED',
        message: expect.stringMatching(/RAG_OPENAI_MODEL/),
      });
      expect(misconfigured.headers.get('retry-after')).toBeNull();
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('2');
    } finally {
      await wrong.stop();
    }
  });
});
