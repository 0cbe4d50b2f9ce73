import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { DynamoDocumentManifest } from '../../src/adapters/dynamodb/document-manifest.js';
import { ensureJobsTable } from '../../src/adapters/dynamodb/jobs-table.js';
import { PineconeIndexDescriber } from '../../src/adapters/pinecone/index-describer.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { S3DocumentSource } from '../../src/adapters/s3/s3-document-source.js';
import { IndexMismatchError } from '../../src/ingest/index-compatibility.js';
import { applyChanges, pruneRemoved, reconcile } from '../../src/ingest/ingestion.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { manifestPartition } from '../../src/shared/jobs.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { startMotoServer, type MotoServer } from '../support/moto-server.js';
import { paragraph } from '../support/ingestion.js';
import { CORRUPT_PDF, pdfWithText } from '../support/pdf.js';

const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
const DIMENSIONS = 256;
const TABLE = 'rag-jobs';

let moto: MotoServer;
let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let dynamo: EmbeddedDynamo;
let s3: S3Client;
let bedrockClient: ReturnType<typeof bedrockRuntimeClient>;
let bucket: string;
let namespace: string;
let testNumber = 0;

beforeAll(async () => {
  [moto, bedrock, pinecone, dynamo] = await Promise.all([
    startMotoServer(),
    startFakeBedrock(),
    startFakePinecone({ dimension: DIMENSIONS, indexName: 'rag-serving-dev' }),
    startEmbeddedDynamo(),
  ]);
  s3 = new S3Client(moto.clientConfig);
  bedrockClient = bedrockRuntimeClient({ endpoint: bedrock.endpoint });
  await ensureJobsTable(dynamo.client, TABLE);
});

afterAll(async () => {
  s3?.destroy();
  bedrockClient?.destroy();
  await Promise.all([moto?.close(), bedrock?.close(), pinecone?.close(), dynamo?.close()]);
});

beforeEach(async () => {
  // A bucket and a namespace per test: the fakes keep what earlier tests wrote.
  testNumber++;
  bucket = `documents-${testNumber}`;
  namespace = `test-${testNumber}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await put(
    'docs/guide.md',
    `# Guide\n\n## Install\n\n${paragraph('install')}\n\n## Run\n\n${paragraph('run')}`,
  );
  await put('docs/api/errors.html', `<title>Errors</title><h2>Codes</h2><p>${paragraph('error code')}</p>`);
  await put('docs/notes.txt', `Notes\n\n${paragraph('zebra')}`);
  await put('batch/questions.jsonl', '{"query":"not a document"}\n');
  await put('docs/logo.png', Buffer.from([0x89, 0x50]));
});

const put = (key: string, body: string | Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const remove = (key: string) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

const source = () => new S3DocumentSource({ bucket, prefix: 'docs/', client: s3 });
const manifest = () =>
  new DynamoDocumentManifest({ tableName: TABLE, sourceName: 'docs', namespace, client: dynamo.client });

/** The stage's target: Bedrock embeddings into Pinecone, with the index checked before the first write. */
function target(fake: FakePinecone = pinecone, indexName = 'rag-serving-dev') {
  const apiKey = fixedApiKey(fake.apiKey);
  return {
    embedder: new BedrockEmbedder({
      modelId: EMBEDDING_MODEL,
      dimensions: DIMENSIONS,
      client: bedrockClient,
    }),
    index: new PineconeVectorIndex({ host: fake.host, apiKey, maxRetries: 0 }),
    describer: new PineconeIndexDescriber({ apiKey, indexName, controllerHostUrl: fake.host }),
    namespace,
  };
}

const run = () => reconcile({ source: source(), sourceName: 'docs', manifest: manifest(), ...target() });
const embeddingCalls = () => bedrock.requests.filter((r) => r.operation === 'InvokeModel').length;
const vectorIds = () =>
  pinecone
    .vectors(namespace)
    .map((v) => v.id)
    .sort();

describe('Ingestion from S3 into Pinecone with Bedrock embeddings', () => {
  it('indexes every document under the prefix on the first run, and nothing on an unchanged second run', async () => {
    // Act
    const first = await run();
    const callsAfterFirst = embeddingCalls();
    const upsertsAfterFirst = pinecone.requests.filter((r) => r.path === '/vectors/upsert').length;
    const second = await run();
    // Assess
    expect(first).toMatchObject({ seen: 3, added: 3, failed: 0 });
    expect(first.embeddingTokens).toBeGreaterThan(0);
    expect(vectorIds()).toHaveLength(first.chunksWritten);
    expect(vectorIds().every((id) => id.startsWith('docs:'))).toBe(true);
    expect(second).toMatchObject({ seen: 3, unchanged: 3, chunksWritten: 0, embeddingTokens: 0 });
    expect(embeddingCalls()).toBe(callsAfterFirst);
    expect(pinecone.requests.filter((r) => r.path === '/vectors/upsert')).toHaveLength(upsertsAfterFirst);
    const items = await dynamo.client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: manifestPartition('docs', namespace) } },
      }),
    );
    expect(items.Items?.map((item) => item.sk?.S)).toEqual(['api/errors.html', 'guide.md', 'notes.txt']);
  });

  it("replaces exactly an edited document's chunks and removes a deleted one's", async () => {
    // Prepare
    await run();
    const before = vectorIds();
    await put('docs/notes.txt', `Notes\n\n${paragraph('rewritten')}`);
    await remove('docs/api/errors.html');
    const calls = embeddingCalls();
    // Act
    const report = await run();
    // Assess
    expect(report).toMatchObject({
      seen: 2,
      updated: 1,
      deleted: 1,
      unchanged: 1,
      chunksWritten: 1,
      chunksDeleted: 2,
    });
    expect(embeddingCalls() - calls).toBe(1);
    const after = vectorIds();
    expect(after.filter((id) => id.startsWith('docs:guide.md#'))).toEqual(
      before.filter((id) => id.startsWith('docs:guide.md#')),
    );
    expect(after.some((id) => id.includes('errors.html'))).toBe(false);
    const notes = after.filter((id) => id.startsWith('docs:notes.txt#'));
    expect(notes).toHaveLength(1);
    expect(before).not.toContain(notes[0]);
    expect(pinecone.vectors(namespace).find((v) => v.id === notes[0])?.metadata.chunk_text).toContain(
      'rewritten',
    );
  });

  it('indexes a PDF and fails a corrupt one alone', async () => {
    // Prepare
    await put('docs/manual.pdf', pdfWithText(['Pelican handbook', paragraph('pelican')]));
    await put('docs/broken.pdf', CORRUPT_PDF);
    // Act
    const report = await run();
    // Assess
    expect(report).toMatchObject({ seen: 5, added: 4, failed: 1 });
    expect(report.failures[0]).toMatchObject({ path: 'broken.pdf' });
    expect(vectorIds().some((id) => id.startsWith('docs:manual.pdf#'))).toBe(true);
  });

  it('applies the documents S3 events name, and prunes what the bucket no longer has', async () => {
    // Prepare
    await run();
    await put('docs/new.md', `# New\n\n${paragraph('newcomer')}`);
    await remove('docs/guide.md');
    await remove('docs/notes.txt');
    const calls = embeddingCalls();
    // Act
    const events = await applyChanges({
      source: source(),
      sourceName: 'docs',
      manifest: manifest(),
      ...target(),
      changes: [{ path: 'new.md' }, { path: 'guide.md', removed: true }, { path: '../outside.png' }],
    });
    const pruned = await pruneRemoved({
      source: source(),
      sourceName: 'docs',
      manifest: manifest(),
      ...target(),
    });
    // Assess
    expect(events).toMatchObject({ seen: 1, added: 1, deleted: 1 });
    expect(embeddingCalls() - calls).toBe(1);
    expect(pruned).toMatchObject({ deleted: 1, chunksWritten: 0 });
    expect(vectorIds().map((id) => id.split('#')[0])).toEqual(['docs:api/errors.html', 'docs:new.md']);
  });

  it('stops before any write when the index dimension does not match the model', async () => {
    // Prepare
    const narrow = await startFakePinecone({ dimension: 512, indexName: 'narrow' });
    const calls = embeddingCalls();
    try {
      // Act
      const attempt = reconcile({
        source: source(),
        sourceName: 'docs',
        manifest: manifest(),
        ...target(narrow, 'narrow'),
      });
      // Assess
      await expect(attempt).rejects.toThrow(IndexMismatchError);
      await expect(attempt).rejects.toThrow(
        /'narrow' holds vectors of 512 dimensions, but the embedding model produces 256/,
      );
      expect(narrow.requests.filter((r) => r.path.startsWith('/vectors/upsert'))).toEqual([]);
      expect(embeddingCalls()).toBe(calls);
      const recorded: unknown[] = [];
      for await (const entry of manifest().entries()) recorded.push(entry);
      expect(recorded).toEqual([]);
    } finally {
      await narrow.close();
    }
  });

  it('stops before any write when the index metric is not a similarity', async () => {
    // Prepare
    const euclidean = await startFakePinecone({
      dimension: DIMENSIONS,
      indexName: 'distance',
      metric: 'euclidean',
    });
    try {
      // Act
      const attempt = reconcile({
        source: source(),
        sourceName: 'docs',
        manifest: manifest(),
        ...target(euclidean, 'distance'),
      });
      // Assess
      await expect(attempt).rejects.toThrow(/uses the metric 'euclidean'/);
      expect(euclidean.vectors(namespace)).toEqual([]);
    } finally {
      await euclidean.close();
    }
  });
});
