/**
 * Every backend of the deployed invocations path as a wire-level fake on 127.0.0.1, each answering
 * after an injected latency: the embedded DynamoDB (dynalite) behind a delaying proxy, the fake
 * Bedrock (h2c) with a latency per pipeline stage, and the fake Pinecone data plane with its own
 * latency, holding the sample corpus as the ingestion would put it there (Bedrock vectors).
 *
 * Run as a script (`node --import tsx fake-backends.ts '<latencies JSON>'`) it serves them in a
 * process of its own and prints `BENCH_READY {environment}`: the handler's environment for
 * `RAG_BACKEND=fakes`. A separate process keeps the fakes' own work out of the handler's event loop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { startEmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { startFakeBedrock } from '../../test/fakes/fake-bedrock.js';
import { startFakePinecone } from '../../test/fakes/fake-pinecone.js';
import { startLatencyProxy } from './latency-proxy.js';
import { SAMPLE_CORPUS, SAMPLE_SOURCE } from './sample-corpus.js';
import { DEFAULT_LATENCIES, type InjectedLatencies } from './injected-latencies.js';
import { groundedAnswer } from './grounded-answer.js';
import { isMain } from './script.js';

export const SESSION_TABLE = 'rag-sessions-bench';

const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';

export interface FakeBackends {
  /** The handler's environment: `RAG_BACKEND=fakes` with every endpoint on a fake. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startFakeBackends(latencies: InjectedLatencies): Promise<FakeBackends> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  let passages: readonly string[] = [];
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'rag-bench-fakes-'));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));

    const dynamo = await startEmbeddedDynamo({});
    closers.push(() => dynamo.close());
    await ensureSessionTable(dynamo.client, SESSION_TABLE);
    const dynamoProxy = await startLatencyProxy(dynamo.endpoint, latencies.sessionMs);
    closers.push(() => dynamoProxy.close());

    const bedrock = await startFakeBedrock({
      firstTokenDelayMs: latencies.firstTokenMs,
      tokenDelayMs: latencies.tokenMs,
      // Quotes the first corpus passage of the prompt, so an answer proves that retrieval worked.
      answer: groundedAnswer(() => passages),
    });
    closers.push(() => bedrock.close());

    const pinecone = await startFakePinecone({});
    closers.push(() => pinecone.close());
    await ingestFolder({
      dir: SAMPLE_CORPUS,
      source: SAMPLE_SOURCE,
      embedder: new BedrockEmbedder({
        modelId: EMBEDDING_MODEL,
        client: bedrockRuntimeClient({ endpoint: bedrock.endpoint }),
      }),
      index: new PineconeVectorIndex({ apiKey: fixedApiKey(pinecone.apiKey), host: pinecone.host }),
    });
    pinecone.setFault({ latencyMs: latencies.retrieveMs });
    // Each call answers after its injected latency, as a model would (set after ingestion, which
    // embeds the corpus through the same fake).
    bedrock.setStageFault('embed', { latencyMs: latencies.embedMs });
    bedrock.setStageFault('condense', { latencyMs: latencies.generateMs });
    bedrock.setStageFault('generate', { latencyMs: latencies.generateMs });
    bedrock.setStageFault('guardrail_input', { latencyMs: latencies.guardrailMs });
    bedrock.setStageFault('guardrail_output', { latencyMs: latencies.guardrailMs });
    passages = pinecone.vectors().map((vector) => String(vector.metadata.chunk_text ?? ''));

    return {
      environment: {
        RAG_BACKEND: 'fakes',
        RAG_ENDPOINT_NAME: 'rag',
        RAG_DATA_DIR: dataDir,
        SESSION_TABLE_NAME: SESSION_TABLE,
        DYNAMODB_ENDPOINT: dynamoProxy.endpoint,
        BEDROCK_ENDPOINT: bedrock.endpoint,
        BEDROCK_EMBEDDING_MODEL_ID: EMBEDDING_MODEL,
        BEDROCK_GENERATION_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
        BEDROCK_GUARDRAIL_ID: 'bench-guardrail',
        BEDROCK_GUARDRAIL_VERSION: '1',
        PINECONE_HOST: pinecone.host,
        PINECONE_API_KEY: pinecone.apiKey,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

if (isMain(import.meta.url)) {
  const latencies = JSON.parse(process.argv[2] ?? JSON.stringify(DEFAULT_LATENCIES)) as InjectedLatencies;
  const backends = await startFakeBackends(latencies);
  process.stdout.write(`BENCH_READY ${JSON.stringify(backends.environment)}\n`);
  const stop = () => void backends.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
