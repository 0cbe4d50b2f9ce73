import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BedrockEmbedder } from '../adapters/bedrock/bedrock-embedder.js';
import { PineconeIndexDescriber } from '../adapters/pinecone/index-describer.js';
import { PineconeVectorIndex } from '../adapters/pinecone/pinecone-index.js';
import { SecretsManagerApiKey } from '../adapters/pinecone/secret-api-key.js';
import type { IngestTarget } from '../ingest/checkpoint-writer.js';

export interface CloudIngestionSettings {
  readonly embeddingModelId: string;
  /** @default the model's default (what the invocations function uses) */
  readonly embeddingDimensions?: number;
  readonly pinecone: {
    readonly indexName?: string;
    readonly host?: string;
    readonly namespace?: string;
    /** Name or ARN of the Secrets Manager secret holding the API key. */
    readonly apiKeySecretId: string;
    /** The control plane (for the index check), e.g. a fake. @default Pinecone's */
    readonly controllerHostUrl?: string;
  };
  readonly bedrock: BedrockRuntimeClient;
  readonly secretsManager: SecretsManagerClient;
}

/**
 * A deployed stage's ingestion target, the same for the ingestion function and for
 * `npm run ingest -- --stage`: Bedrock embeddings into the stage's Pinecone index, whose dimension
 * and metric are checked before the first write, with the API key read from Secrets Manager.
 */
export function cloudIngestionTarget(settings: CloudIngestionSettings): IngestTarget {
  const { pinecone } = settings;
  const apiKey = new SecretsManagerApiKey({
    secretId: pinecone.apiKeySecretId,
    client: settings.secretsManager,
  });
  const where = {
    ...(pinecone.host !== undefined && { host: pinecone.host }),
    ...(pinecone.indexName !== undefined && { indexName: pinecone.indexName }),
  };
  return {
    embedder: new BedrockEmbedder({
      modelId: settings.embeddingModelId,
      ...(settings.embeddingDimensions !== undefined && { dimensions: settings.embeddingDimensions }),
      client: settings.bedrock,
    }),
    index: new PineconeVectorIndex({ apiKey, ...where }),
    describer: new PineconeIndexDescriber({
      apiKey,
      ...where,
      ...(pinecone.controllerHostUrl !== undefined && { controllerHostUrl: pinecone.controllerHostUrl }),
    }),
    ...(pinecone.namespace !== undefined && { namespace: pinecone.namespace }),
  };
}
