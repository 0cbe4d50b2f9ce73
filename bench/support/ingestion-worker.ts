/**
 * One ingestion benchmark run in a fresh process: a full reconcile of a generated folder, then a
 * second run over the unchanged folder, into the local index or through the cloud adapters to the
 * fakes. Memory is sampled every 10 ms and at every checkpoint; the result is one
 * `BENCH_RESULT {...}` line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { DynamoDocumentManifest } from '../../src/adapters/dynamodb/document-manifest.js';
import { openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import { PineconeIndexDescriber } from '../../src/adapters/pinecone/index-describer.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import type { EmbedOptions, Embedder } from '../../src/core/ports/embedder.js';
import type { IngestTarget } from '../../src/ingest/checkpoint-writer.js';
import { FolderSource } from '../../src/ingest/documents/folder-source.js';
import { reconcile } from '../../src/ingest/ingestion.js';
import type { DocumentManifest } from '../../src/ingest/manifest/document-manifest.js';
import { FileManifest } from '../../src/ingest/manifest/file-manifest.js';
import { localManifestPath } from '../../src/ingest/manifest/local-manifest-path.js';
import { BENCH_JOBS_TABLE, BENCH_PINECONE_INDEX, type IngestionFakes } from './ingestion-fakes.js';
import { isMain } from './script.js';

export interface IngestionWorkerInput {
  readonly target: 'local' | 'fakes';
  readonly dir: string;
  readonly fakes?: IngestionFakes;
}

export interface IngestionWorkerResult {
  readonly documents: number;
  readonly chunks: number;
  readonly firstSeconds: number;
  readonly secondSeconds: number;
  readonly secondEmbeddingCalls: number;
  /** Heap in use before the first run, and at its highest during it (garbage included), in bytes. */
  readonly baselineHeap: number;
  readonly peakHeap: number;
  /** The most the run held after a full garbage collection at a checkpoint: what it retains. */
  readonly peakRetainedHeap: number;
  readonly peakRss: number;
}

/** Counts embedding calls, so that the second run can show it made none. */
function counted(embedder: Embedder): Embedder & { calls: number } {
  const wrapper = {
    dimensions: embedder.dimensions,
    calls: 0,
    embed: (options: EmbedOptions) => {
      wrapper.calls++;
      return embedder.embed(options);
    },
  };
  return wrapper;
}

async function target(input: IngestionWorkerInput, dataDir: string, run: number) {
  if (input.target === 'local') {
    const { embedder, index } = await openLocalRetrieval(dataDir);
    const ingestTarget: IngestTarget = {
      embedder: counted(embedder),
      index,
      writeBatch: (work) => index.batch(work),
    };
    const manifest: DocumentManifest = await FileManifest.open(localManifestPath(dataDir, 'generated'));
    return { ingestTarget, manifest };
  }
  const fakes = input.fakes as IngestionFakes;
  const apiKey = fixedApiKey(fakes.pineconeKey);
  const ingestTarget: IngestTarget = {
    embedder: counted(
      new BedrockEmbedder({
        modelId: 'amazon.titan-embed-text-v2:0',
        client: bedrockRuntimeClient({ endpoint: fakes.bedrock }),
      }),
    ),
    index: new PineconeVectorIndex({ apiKey, host: fakes.pinecone }),
    describer: new PineconeIndexDescriber({
      apiKey,
      indexName: BENCH_PINECONE_INDEX,
      controllerHostUrl: fakes.pinecone,
    }),
    namespace: `bench-${process.pid}`,
  };
  const manifest = new DynamoDocumentManifest({
    tableName: BENCH_JOBS_TABLE,
    sourceName: 'generated',
    namespace: `bench-${process.pid}`,
    client: new DynamoDBClient({
      endpoint: fakes.dynamo,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  });
  void run;
  return { ingestTarget, manifest };
}

export async function runIngestionWorker(input: IngestionWorkerInput): Promise<IngestionWorkerResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rag-bench-ingest-'));
  try {
    globalThis.gc?.();
    const baselineHeap = process.memoryUsage().heapUsed;
    let peakHeap = baselineHeap;
    let peakRss = process.memoryUsage().rss;
    const sample = () => {
      const { heapUsed, rss } = process.memoryUsage();
      peakHeap = Math.max(peakHeap, heapUsed);
      peakRss = Math.max(peakRss, rss);
    };
    let peakRetainedHeap = baselineHeap;
    // At each checkpoint: collect garbage, then see what the run still holds.
    const retained = () => {
      globalThis.gc?.();
      peakRetainedHeap = Math.max(peakRetainedHeap, process.memoryUsage().heapUsed);
    };
    const sampler = setInterval(sample, 10);
    const first = await target(input, dataDir, 1);
    const started = performance.now();
    const report = await reconcile({
      ...first.ingestTarget,
      source: new FolderSource(input.dir),
      sourceName: 'generated',
      manifest: first.manifest,
      onProgress: () => {
        sample();
        retained();
      },
    });
    const firstSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    const second = await target(input, dataDir, 2);
    const secondStarted = performance.now();
    await reconcile({
      ...second.ingestTarget,
      source: new FolderSource(input.dir),
      sourceName: 'generated',
      manifest: second.manifest,
    });
    return {
      documents: report.seen,
      chunks: report.chunksWritten,
      firstSeconds,
      secondSeconds: (performance.now() - secondStarted) / 1000,
      secondEmbeddingCalls: (second.ingestTarget.embedder as Embedder & { calls: number }).calls,
      baselineHeap,
      peakHeap,
      peakRetainedHeap,
      peakRss,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const result = await runIngestionWorker(JSON.parse(process.argv[2] ?? '{}') as IngestionWorkerInput);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
