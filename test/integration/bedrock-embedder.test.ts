import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { UnsupportedEmbeddingModelError } from '../../src/adapters/bedrock/embedding-models.js';
import { BackendUnavailableError, DeadlineExceededError } from '../../src/core/errors.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';

let fake: FakeBedrock;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  fake = await startFakeBedrock();
  client = bedrockRuntimeClient({ endpoint: fake.endpoint });
});
afterAll(async () => {
  client.destroy();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setFault({ latencyMs: 0, throttle: 0, serverErrors: 0 });
  fake.healStages();
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => `chunk number ${i} about sessions`);

describe('Class: BedrockEmbedder', () => {
  it('calls Titan v2 once per text, in bounded concurrency, and keeps the order', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({
      modelId: 'amazon.titan-embed-text-v2:0',
      dimensions: 256,
      concurrency: 3,
      client,
    });
    fake.setFault({ latencyMs: 30 });
    // Act
    const result = await embedder.embed({ texts: texts(7), purpose: 'document' });
    // Assess
    expect(fake.requests).toHaveLength(7);
    expect(fake.requests.map((r) => r.body.inputText)).toEqual(expect.arrayContaining(texts(7)));
    expect(fake.requests[0]!.body).toMatchObject({ dimensions: 256, normalize: true });
    expect(fake.requests[0]!.target).toBe('amazon.titan-embed-text-v2:0');
    const inFlight = fake.requests.map(
      (r) => fake.requests.filter((o) => o.receivedAt <= r.receivedAt && o.finishedAt! > r.receivedAt).length,
    );
    expect(Math.max(...inFlight)).toBeLessThanOrEqual(3);
    expect(result.vectors).toHaveLength(7);
    expect(result.vectors.every((v) => v.length === 256)).toBe(true);
    const again = await embedder.embed({ texts: [texts(7)[4]!], purpose: 'document' });
    expect(result.vectors[4]).toEqual(again.vectors[0]);
    expect(result.usage.inputTokens).toBe(7 * 5);
  });

  it('sends Cohere up to 96 texts per call with the input type of the purpose', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({ modelId: 'cohere.embed-english-v3', client });
    // Act
    const documents = await embedder.embed({ texts: texts(200), purpose: 'document' });
    const query = await embedder.embed({ texts: ['how long do sessions live?'], purpose: 'query' });
    // Assess
    const sizes = fake.requests.map((r) => (r.body.texts as string[]).length);
    expect(sizes).toEqual([96, 96, 8, 1]);
    expect(fake.requests[0]!.body).toMatchObject({ input_type: 'search_document', truncate: 'END' });
    expect(fake.requests[3]!.body).toMatchObject({ input_type: 'search_query' });
    expect(documents.vectors).toHaveLength(200);
    expect(query.vectors[0]).toHaveLength(1024);
    expect(embedder.dimensions).toBe(1024);
  });

  it('asks Cohere v4 (also through an inference profile) for float embeddings of the configured size', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({ modelId: 'us.cohere.embed-v4:0', dimensions: 512, client });
    // Act
    const result = await embedder.embed({ texts: ['a', 'b'], purpose: 'query' });
    // Assess
    expect(fake.requests[0]!.body).toMatchObject({ embedding_types: ['float'], output_dimension: 512 });
    expect(result.vectors.map((v) => v.length)).toEqual([512, 512]);
  });

  it('retries throttling with the SDK strategy and then succeeds', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({ modelId: 'amazon.titan-embed-text-v2:0', client });
    fake.setFault({ throttle: 2 });
    // Act
    const result = await embedder.embed({ texts: ['retry me'], purpose: 'query' });
    // Assess
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(result.vectors).toHaveLength(1);
  });

  it('maps throttling past the retries to BackendUnavailableError with the SDK error as cause', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({ modelId: 'amazon.titan-embed-text-v2:0', client });
    fake.setFault({ throttle: 10 });
    // Act
    const failure = await embedder.embed({ texts: ['x'], purpose: 'query' }).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as BackendUnavailableError).status).toBe(503);
    expect((failure as BackendUnavailableError).retryAfterSeconds).toBe(2);
    expect(((failure as Error).cause as Error).name).toBe('ThrottlingException');
    expect(fake.requests).toHaveLength(3);
  });

  it('maps server errors past the retries to BackendUnavailableError', async () => {
    // Prepare
    const embedder = new BedrockEmbedder({ modelId: 'amazon.titan-embed-text-v2:0', client });
    fake.setFault({ serverErrors: 10 });
    // Act
    const failure = await embedder.embed({ texts: ['x'], purpose: 'query' }).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect(((failure as Error).cause as Error).name).toBe('InternalServerException');
  });

  it('stops retrying at the deadline and reports the deadline', async () => {
    // Prepare: every attempt is throttled, and the client would try 50 times.
    const embedder = new BedrockEmbedder({
      modelId: 'amazon.titan-embed-text-v2:0',
      client: bedrockRuntimeClient({ endpoint: fake.endpoint, maxAttempts: 50 }),
    });
    fake.setStageFault('embed', { throttle: 1000 });
    const deadline = new AbortController();
    const firstAttempt = fake.arrival('embed');
    // Act: the deadline passes once the first attempt was throttled.
    const embedding = embedder
      .embed({ texts: ['x'], purpose: 'query', abortSignal: deadline.signal })
      .catch((error: unknown) => error);
    await (
      await firstAttempt
    ).ended;
    deadline.abort(new DeadlineExceededError(150));
    // The call itself settles only when the SDK's retry loop has given up.
    const failure = await embedding;
    // Assess
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect(fake.requests.length).toBeLessThan(50);
  });

  it('refuses a model it cannot call, naming the supported ones', () => {
    // Act
    const create = () => new BedrockEmbedder({ modelId: 'openai.gpt-oss-120b-1:0', client });
    // Assess
    expect(create).toThrow(UnsupportedEmbeddingModelError);
    expect(create).toThrow(/amazon\.titan-embed-text-v2:0/);
  });
});
