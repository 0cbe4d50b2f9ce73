import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelinePorts } from '../core/pipeline.js';
import type { Embedder } from '../core/ports/embedder.js';
import type { Generator } from '../core/ports/generator.js';
import type { Guardrail } from '../core/ports/guardrail.js';
import type { VectorIndex } from '../core/ports/vector-index.js';
import { systemClock } from '../core/ports/clock.js';
import type { ServingConfig } from '../config/serving-config.js';
import type { IndexConfig } from '../config/backends-config.js';
import { invalidVariable } from '../config/configuration-error.js';
import { EnvVar } from '../shared/env.js';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.js';
import { CloudClients } from './cloud-clients.js';

/*
 * Adapters are imported only when configured (`await import`): a deployed function does not load
 * the local index and its MiniSearch, and a local run does not load the Bedrock or Pinecone SDKs.
 * This runs once, at init, so the dynamic imports cost nothing per request.
 */

/** The local index, with the embedder that wrote its vectors (see openLocalRetrieval). */
async function localRetrieval(config: ServingConfig) {
  const { openLocalRetrieval } = await import('../adapters/local/open-local-retrieval.js');
  return openLocalRetrieval(config.dataDir, { embedder: config.backends.embedder });
}

async function embedderFor(config: ServingConfig, clients: CloudClients): Promise<Embedder> {
  const embedder = config.backends.embedder;
  if (embedder.kind === 'local') {
    const { HashedEmbedder } = await import('../adapters/local/hashed-embedder.js');
    return new HashedEmbedder();
  }
  if (embedder.kind === 'openai-compatible') {
    const { OpenAICompatibleEmbedder } =
      await import('../adapters/openai-compatible/openai-compatible-embedder.js');
    return new OpenAICompatibleEmbedder(embedder);
  }
  const { BedrockEmbedder } = await import('../adapters/bedrock/bedrock-embedder.js');
  try {
    return new BedrockEmbedder({
      modelId: embedder.modelId,
      ...(embedder.dimensions !== undefined && { dimensions: embedder.dimensions }),
      client: await clients.bedrockRuntime(),
    });
  } catch (error) {
    throw invalidVariable(EnvVar.embeddingModelId, embedder.modelId, (error as Error).message);
  }
}

async function pineconeIndex(
  index: Extract<IndexConfig, { kind: 'pinecone' }>,
  config: ServingConfig,
): Promise<VectorIndex> {
  const [{ PineconeVectorIndex }, { SecretsManagerApiKey, fixedApiKey }] = await Promise.all([
    import('../adapters/pinecone/pinecone-index.js'),
    import('../adapters/pinecone/secret-api-key.js'),
  ]);
  let apiKey;
  if ('plain' in index.apiKey) {
    apiKey = fixedApiKey(index.apiKey.plain);
  } else {
    const [{ SecretsManagerClient }, { awsClientConfig }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('../adapters/aws/client-config.js'),
    ]);
    apiKey = new SecretsManagerApiKey({
      secretId: index.apiKey.secretId,
      client: new SecretsManagerClient(awsClientConfig(config.backends.secretsManager)),
    });
    // Read at init (CPU-boosted, prepaid under provisioned concurrency). A failure here does not
    // fail the start: the first request reads again and answers 503 if the secret is still out of reach.
    await apiKey.get().catch(() => undefined);
  }
  return new PineconeVectorIndex({
    apiKey,
    ...(index.host !== undefined && { host: index.host }),
    ...(index.indexName !== undefined && { indexName: index.indexName }),
    ...(index.namespace !== undefined && { namespace: index.namespace }),
  });
}

async function generatorFor(config: ServingConfig, clients: CloudClients): Promise<Generator> {
  const generator = config.backends.generator;
  if (generator.kind === 'extractive') {
    const { ExtractiveGenerator } = await import('../adapters/local/extractive-generator.js');
    return new ExtractiveGenerator();
  }
  if (generator.kind === 'openai-compatible') {
    const { OpenAICompatibleGenerator } =
      await import('../adapters/openai-compatible/openai-compatible-generator.js');
    return new OpenAICompatibleGenerator(generator);
  }
  const { BedrockGenerator } = await import('../adapters/bedrock/bedrock-generator.js');
  return new BedrockGenerator({
    modelId: generator.modelId,
    ...(generator.condenseModelId !== undefined && { condenseModelId: generator.condenseModelId }),
    ...(generator.guardrail && { guardrail: generator.guardrail }),
    client: await clients.bedrockRuntime(),
  });
}

async function guardrailFor(config: ServingConfig, clients: CloudClients): Promise<Guardrail> {
  const guardrail = config.backends.guardrail;
  switch (guardrail.kind) {
    case 'rules': {
      const { RuleGuardrail, denyListFromEnv } = await import('../adapters/local/rule-guardrail.js');
      return new RuleGuardrail({ denyList: denyListFromEnv(config.guardrailDenyList) });
    }
    case 'bedrock': {
      const { BedrockGuardrail } = await import('../adapters/bedrock/bedrock-guardrail.js');
      return new BedrockGuardrail({ ...guardrail, client: await clients.bedrockRuntime() });
    }
    case 'none': {
      const { PassThroughGuardrail } = await import('../adapters/local/pass-through-guardrail.js');
      return new PassThroughGuardrail();
    }
  }
}

/** The adapter of every port, as the configuration picks them; sessions always live in DynamoDB. */
export async function pipelinePorts(config: ServingConfig, dynamo: DynamoDBClient): Promise<PipelinePorts> {
  const clients = new CloudClients(config.backends);
  const { index: indexConfig } = config.backends;
  // Refuses RAG_EMBEDDER=bedrock: the local index holds vectors of an embedder that runs locally.
  const local = indexConfig.kind === 'local' ? await localRetrieval(config) : undefined;
  const [embedder, index, generator, guardrail] = await Promise.all([
    local ? local.embedder : embedderFor(config, clients),
    local ? local.index : pineconeIndex(indexConfig as Extract<IndexConfig, { kind: 'pinecone' }>, config),
    generatorFor(config, clients),
    guardrailFor(config, clients),
  ]);
  return {
    embedder,
    index,
    generator,
    guardrail,
    sessions: new DynamoSessionStore({
      tableName: config.sessionTable,
      client: dynamo,
      ttlDays: config.sessionTtlDays,
    }),
    clock: systemClock,
  };
}
