/**
 * `npm run ingest` into a deployed stage's index: with the function's environment it embeds with
 * Bedrock and upserts into Pinecone (here the wire-level fakes), into the stage's namespace.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runIngestCommand } from '../../src/cli/ingest.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';

let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let docs: string;

beforeAll(async () => {
  [bedrock, pinecone] = await Promise.all([startFakeBedrock(), startFakePinecone({ dimension: 1024 })]);
  docs = await mkdtemp(join(tmpdir(), 'rag-ingest-cloud-'));
  await writeFile(
    join(docs, 'deploying.md'),
    '# Deploying\n\nRun npx cdk deploy with the stage as context.\n',
  );
});
afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await Promise.all([bedrock?.close(), pinecone?.close()]);
  if (docs) await rm(docs, { recursive: true, force: true });
});

describe('ingest CLI into a Pinecone index', () => {
  it("embeds with Bedrock and upserts into the stage's namespace", async () => {
    // Prepare: the function's environment, with the fakes in place of Bedrock and Pinecone.
    const env = {
      RAG_BACKEND: 'fakes',
      RAG_EMBEDDER: 'bedrock',
      RAG_INDEX: 'pinecone',
      RAG_GENERATOR: 'extractive',
      RAG_GUARDRAIL: 'rules',
      BEDROCK_ENDPOINT: bedrock.endpoint,
      BEDROCK_EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      PINECONE_HOST: pinecone.host,
      PINECONE_API_KEY: pinecone.apiKey,
      PINECONE_NAMESPACE: 'default',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));

    // Act
    const code = await runIngestCommand(['node', 'ingest', docs, '--source', 'docs']);

    // Assess
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/^Ingested .* as source 'docs': 1 files, 1 chunks \(1 added/);
    const stored = pinecone.vectors('default');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.values).toHaveLength(1024);
    expect(stored[0]!.metadata).toMatchObject({ source: 'docs' });
    expect(bedrock.requests.map((r) => r.operation)).toEqual(['InvokeModel']);
  });
});
