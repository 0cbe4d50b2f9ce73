import type { Embedder } from '../core/ports/embedder.js';
import type { VectorIndex } from '../core/ports/vector-index.js';
import { loadServingConfig } from '../config/serving-config.js';
import type { IndexConfig } from '../config/backends-config.js';
import { ConfigurationError } from '../config/configuration-error.js';
import { EnvVar } from '../shared/env.js';

/** Where `npm run ingest` writes: the embedder and index, and how to run a whole ingestion against them. */
export interface IngestTarget {
  readonly embedder: Embedder;
  readonly index: VectorIndex;
  /** Describes the target for the summary line. */
  readonly label: string;
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The local index under the data directory by default; a deployed stage's Pinecone index, embedded
 * with Bedrock, when the environment selects them as it does for the function
 * (`RAG_EMBEDDER=bedrock RAG_INDEX=pinecone` with `PINECONE_INDEX` or `PINECONE_HOST`, the key's
 * `PINECONE_API_KEY_SECRET_ID`, and `BEDROCK_EMBEDDING_MODEL_ID`).
 */
export async function ingestTarget(dataDir: string, env: NodeJS.ProcessEnv): Promise<IngestTarget> {
  const config = loadServingConfig(env);
  const { embedder: embedderConfig, index: indexConfig } = config.backends;
  if (indexConfig.kind === 'local' || embedderConfig.kind === 'local') {
    const { openLocalRetrieval } = await import('../adapters/local/open-local-retrieval.js');
    const { embedder, index } = await openLocalRetrieval(dataDir);
    // One rewrite of the index file for the whole run instead of one per batch.
    return { embedder, index, label: `the local index in ${dataDir}`, run: (work) => index.batch(work) };
  }
  if (embedderConfig.kind !== 'bedrock') {
    throw new ConfigurationError(
      `${EnvVar.index}=pinecone is filled with Bedrock embeddings, as the deployed function queries it: set ${EnvVar.embedder}=bedrock (got ${embedderConfig.kind}).`,
    );
  }
  const [{ BedrockEmbedder }, { bedrockRuntimeClient }, index] = await Promise.all([
    import('../adapters/bedrock/bedrock-embedder.js'),
    import('../adapters/bedrock/bedrock-client.js'),
    pineconeIndex(indexConfig, config.backends.secretsManager),
  ]);
  const embedder = new BedrockEmbedder({
    modelId: embedderConfig.modelId,
    ...(embedderConfig.dimensions !== undefined && { dimensions: embedderConfig.dimensions }),
    client: bedrockRuntimeClient(config.backends.bedrock),
  });
  return {
    embedder,
    index,
    label: `Pinecone index ${indexConfig.host ?? indexConfig.indexName} (${embedderConfig.modelId})`,
    run: (work) => work(),
  };
}

async function pineconeIndex(
  index: Extract<IndexConfig, { kind: 'pinecone' }>,
  secretsManager: { readonly endpoint?: string },
): Promise<VectorIndex> {
  const [
    { PineconeVectorIndex },
    { SecretsManagerApiKey, fixedApiKey },
    { SecretsManagerClient },
    { awsClientConfig },
  ] = await Promise.all([
    import('../adapters/pinecone/pinecone-index.js'),
    import('../adapters/pinecone/secret-api-key.js'),
    import('@aws-sdk/client-secrets-manager'),
    import('../adapters/aws/client-config.js'),
  ]);
  const apiKey =
    'plain' in index.apiKey
      ? fixedApiKey(index.apiKey.plain)
      : new SecretsManagerApiKey({
          secretId: index.apiKey.secretId,
          client: new SecretsManagerClient(awsClientConfig(secretsManager)),
        });
  return new PineconeVectorIndex({
    apiKey,
    ...(index.host !== undefined && { host: index.host }),
    ...(index.indexName !== undefined && { indexName: index.indexName }),
    ...(index.namespace !== undefined && { namespace: index.namespace }),
  });
}
