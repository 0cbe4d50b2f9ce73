import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { PineconeRetriever } from '../../src/adapters/pinecone/pinecone-retriever.js';
import { PINECONE_API_VERSION } from '../../src/adapters/pinecone/pinecone-http.js';
import { openDataPlane } from '../../src/adapters/pinecone/data-plane.js';
import { SecretsManagerApiKey, fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { awsClientConfig } from '../../src/adapters/aws/client-config.js';
import {
  BackendMisconfiguredError,
  BackendUnavailableError,
  DeadlineExceededError,
} from '../../src/core/errors.js';
import { withDeadline } from '../../src/core/deadline.js';
import type { IndexedChunk } from '../../src/core/ports/vector-index.js';
import { PINECONE_LIMITS, startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { startFakeSecretsManager, type FakeSecretsManager } from '../fakes/fake-secrets-manager.js';

const DIMENSION = 8;
let fake: FakePinecone;

beforeAll(async () => {
  fake = await startFakePinecone({ dimension: DIMENSION });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setFault({ latencyMs: 0, status: undefined, times: undefined, down: false, hold: false });
});

const axis = (i: number): number[] =>
  Array.from({ length: DIMENSION }, (_, j) => (j === i % DIMENSION ? 1 : 0));
const chunk = (
  id: string,
  i: number,
  metadata: IndexedChunk['metadata'] = { source: 'docs' },
  text = `text ${id}`,
): IndexedChunk => ({
  id,
  text,
  title: `Title ${id}`,
  location: `docs/${id}.md`,
  metadata,
  vector: axis(i),
});

/** An index against the fake; `maxRetries: 0` so tests that count calls see each one. */
const index = (options: { namespace?: string; maxRetries?: number } = {}) =>
  new PineconeVectorIndex({ host: fake.host, apiKey: fixedApiKey(fake.apiKey), maxRetries: 0, ...options });

describe('Class: PineconeVectorIndex', () => {
  it('queries with topK, an $eq filter and the namespace, and rebuilds the chunks from metadata', async () => {
    // Prepare
    const pinecone = index();
    await pinecone.upsert(
      [
        chunk('a', 0, { source: 'docs', path: 'a.md' }),
        chunk('b', 1, { source: 'blog' }),
        chunk('c', 0, { source: 'docs' }),
      ],
      {
        namespace: 'tenant-1',
      },
    );
    // Act
    const { matches } = await pinecone.query({
      text: 'q',
      vector: axis(0),
      topK: 5,
      filter: { source: 'docs' },
      namespace: 'tenant-1',
    });
    const elsewhere = await pinecone.query({ text: 'q', vector: axis(0), topK: 5 });
    // Assess
    const query = fake.requests.find((r) => r.path === '/query')!;
    expect(query.body).toMatchObject({
      topK: 5,
      namespace: 'tenant-1',
      filter: { source: { $eq: 'docs' } },
      includeMetadata: true,
    });
    expect(matches.map((m) => m.id).sort()).toEqual(['a', 'c']);
    expect(matches.find((m) => m.id === 'a')).toEqual({
      id: 'a',
      score: 1,
      text: 'text a',
      title: 'Title a',
      location: 'docs/a.md',
      metadata: { source: 'docs', path: 'a.md' },
    });
    expect(elsewhere.matches).toEqual([]);
  });

  it('uses the configured namespace when a call names none', async () => {
    // Prepare
    const pinecone = index({ namespace: 'default-ns' });
    // Act
    await pinecone.upsert([chunk('x', 2)]);
    // Assess
    expect(fake.vectors('default-ns').map((v) => v.id)).toEqual(['x']);
  });

  it('upserts in batches of at most 1000 records', async () => {
    // Prepare
    const chunks = Array.from({ length: 2500 }, (_, i) => chunk(`n${i}`, i));
    // Act
    await index({ namespace: 'many' }).upsert(chunks);
    // Assess
    const upserts = fake.requests.filter((r) => r.path === '/vectors/upsert');
    expect(upserts.map((r) => (r.body.vectors as unknown[]).length)).toEqual([1000, 1000, 500]);
    expect(fake.vectors('many')).toHaveLength(2500);
  });

  it('keeps each upsert request under 2 MB', async () => {
    // Prepare: ~6 kB of text per record, so 1000 records would be ~6 MB
    const chunks = Array.from({ length: 900 }, (_, i) =>
      chunk(`big${i}`, i, { source: 'docs' }, 'x'.repeat(6000)),
    );
    // Act
    await index({ namespace: 'big' }).upsert(chunks);
    // Assess
    const upserts = fake.requests.filter((r) => r.path === '/vectors/upsert');
    expect(upserts.length).toBeGreaterThan(2);
    expect(Math.max(...upserts.map((r) => r.bytes))).toBeLessThanOrEqual(PINECONE_LIMITS.maxRequestBytes);
    expect(upserts.every((r) => r.status === 200)).toBe(true);
    expect(fake.vectors('big')).toHaveLength(900);
  });

  it('deletes in batches of at most 1000 ids', async () => {
    // Prepare
    const pinecone = index({ namespace: 'del' });
    await pinecone.upsert(Array.from({ length: 2100 }, (_, i) => chunk(`d${i}`, i)));
    fake.requests.length = 0;
    // Act
    await pinecone.delete(Array.from({ length: 2001 }, (_, i) => `d${i}`));
    // Assess
    expect(fake.requests.map((r) => (r.body.ids as unknown[]).length)).toEqual([1000, 1000, 1]);
    expect(
      fake
        .vectors('del')
        .map((v) => v.id)
        .sort(),
    ).toEqual(Array.from({ length: 99 }, (_, i) => `d${2001 + i}`).sort());
  });

  it('lists ids by prefix across pages', async () => {
    // Prepare
    const pinecone = index({ namespace: 'list' });
    await pinecone.upsert([
      ...Array.from({ length: 230 }, (_, i) => chunk(`docs:a.md#${i}`, i)),
      chunk('blog:b.md#0', 1),
    ]);
    fake.requests.length = 0;
    // Act
    const ids = await pinecone.listIds('docs:');
    // Assess
    expect(ids).toHaveLength(230);
    expect(ids.every((id) => id.startsWith('docs:'))).toBe(true);
    expect(fake.requests.map((r) => r.query.prefix)).toEqual(['docs:', 'docs:', 'docs:']);
    expect(fake.requests[1]!.query.paginationToken).toBeDefined();
  });

  it('maps a 503 to BackendUnavailableError after its retries', async () => {
    // Prepare
    fake.setFault({ status: 503, times: 10 });
    // Act
    const failure = await index({ maxRetries: 1 })
      .query({ text: 'q', vector: axis(0), topK: 1 })
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as BackendUnavailableError).retryAfterSeconds).toBe(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('retries throttling (429)', async () => {
    // Prepare
    await index().upsert([chunk('t', 3)]);
    fake.requests.length = 0;
    fake.setFault({ status: 429, times: 2 });
    // Act
    const { matches } = await index().query({ text: 'q', vector: axis(3), topK: 1 });
    // Assess
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(matches.map((m) => m.id)).toEqual(['t']);
  });

  it('maps a dead host to BackendUnavailableError', async () => {
    // Prepare
    fake.setFault({ down: true });
    // Act
    const failure = await index()
      .query({ text: 'q', vector: axis(0), topK: 1 })
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as Error).message).toBe('Pinecone is temporarily unavailable; retry later.');
  });

  it('stops at the deadline instead of waiting for a slow host', async () => {
    // Prepare: the host holds its answer until the test lets it go.
    fake.setFault({ hold: true });
    // Act
    const failure = await withDeadline(100, (signal) =>
      index().query({ text: 'q', vector: axis(0), topK: 1, abortSignal: signal }),
    ).catch((e: unknown) => e);
    const answeredBeforeTheFailure = fake.requests[0]?.status;
    fake.setFault({ hold: false });
    // Assess: the call failed while the host was still holding its answer.
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect(fake.requests).toHaveLength(1);
    expect(answeredBeforeTheFailure).toBeUndefined();
  });
});

describe('Class: PineconeRetriever', () => {
  it('sends the query the pinned SDK sends: path, API version, key and body', async () => {
    // Prepare
    await index().upsert([chunk('sdk', 4, { source: 'docs' })], { namespace: 'contract' });
    const query = { vector: axis(4), topK: 3, namespace: 'contract', filter: { source: { $eq: 'docs' } } };
    fake.requests.length = 0;
    // Act
    await openDataPlane({ host: fake.host, apiKey: fake.apiKey, maxRetries: 0 }).query({
      ...query,
      includeMetadata: true,
      includeValues: false,
    });
    const { matches } = await new PineconeRetriever({
      host: fake.host,
      apiKey: fixedApiKey(fake.apiKey),
    }).query({ text: 'q', vector: axis(4), topK: 3, namespace: 'contract', filter: { source: 'docs' } });
    // Assess
    const [sdk, ours] = fake.requests;
    expect(ours).toMatchObject({
      method: sdk!.method,
      path: sdk!.path,
      apiKey: sdk!.apiKey,
      apiVersion: sdk!.apiVersion,
      status: 200,
    });
    expect(ours!.body).toEqual(sdk!.body);
    expect(PINECONE_API_VERSION).toBe(sdk!.apiVersion);
    expect(matches.map((m) => m.id)).toEqual(['sdk']);
  });

  it('finds the host of an index given by name once, with one control-plane call', async () => {
    // Prepare
    await index().upsert([chunk('named', 5)]);
    const retriever = new PineconeRetriever({
      indexName: 'rag-serving-dev',
      controlPlaneUrl: fake.host,
      apiKey: fixedApiKey(fake.apiKey),
    });
    fake.requests.length = 0;
    // Act
    await retriever.query({ text: 'q', vector: axis(5), topK: 1 });
    const { matches } = await retriever.query({ text: 'q', vector: axis(5), topK: 1 });
    // Assess
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /indexes/rag-serving-dev',
      'POST /query',
      'POST /query',
    ]);
    expect(matches.map((m) => m.id)).toEqual(['named']);
  });

  it('does not retry a refused key, and reports Pinecone as misconfigured with the status as cause', async () => {
    // Act
    const failure = await new PineconeRetriever({ host: fake.host, apiKey: fixedApiKey('wrong') })
      .query({ text: 'q', vector: axis(0), topK: 1 })
      .catch((e: unknown) => e);
    // Assess
    // A refused key is a setup error no retry fixes: 500 BACKEND_MISCONFIGURED, no Retry-After.
    expect(failure).toBeInstanceOf(BackendMisconfiguredError);
    expect(failure).toMatchObject({ status: 500, retryAfterSeconds: undefined });
    expect(((failure as Error).cause as { status: number }).status).toBe(401);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('Class: SecretsManagerApiKey', () => {
  let secrets: FakeSecretsManager;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    secrets = await startFakeSecretsManager();
    client = new SecretsManagerClient(awsClientConfig({ endpoint: secrets.endpoint }));
  });
  afterAll(async () => {
    client.destroy();
    await secrets.close();
  });

  it('reads the key once and serves it from the cache across calls', async () => {
    // Prepare
    secrets.put('rag/pinecone', JSON.stringify({ apiKey: fake.apiKey }));
    const apiKey = new SecretsManagerApiKey({ secretId: 'rag/pinecone', client });
    const pinecone = new PineconeVectorIndex({ host: fake.host, apiKey, maxRetries: 0 });
    // Act
    await Promise.all([pinecone.listIds('a'), pinecone.listIds('b')]);
    await pinecone.listIds('c');
    // Assess
    expect(secrets.reads.filter((id) => id === 'rag/pinecone')).toHaveLength(1);
    expect(fake.requests.slice(-3).every((r) => r.apiKey === fake.apiKey)).toBe(true);
  });

  it('accepts the bare key as the secret string', async () => {
    // Prepare
    secrets.put('rag/bare', `  ${fake.apiKey}\n`);
    // Act
    const key = await new SecretsManagerApiKey({ secretId: 'rag/bare', client }).get();
    // Assess
    expect(key).toBe(fake.apiKey);
  });

  it('does not cache a failed read, and reads again after the refresh interval', async () => {
    // Prepare
    let now = 0;
    secrets.put('rag/rotating', 'key-1');
    const apiKey = new SecretsManagerApiKey({
      secretId: 'rag/rotating',
      client,
      refreshMs: 1000,
      clock: { now: () => now },
    });
    secrets.fail(5);
    // Act
    const failure = await apiKey.get().catch((e: unknown) => e);
    secrets.fail(0);
    const first = await apiKey.get();
    secrets.put('rag/rotating', 'key-2');
    const cached = await apiKey.get();
    now = 1500;
    const rotated = await apiKey.get();
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect([first, cached, rotated]).toEqual(['key-1', 'key-1', 'key-2']);
  });
});
