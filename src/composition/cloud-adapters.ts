import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { BedrockEmbedder } from '../adapters/bedrock/bedrock-embedder.js';
import { BedrockGenerator } from '../adapters/bedrock/bedrock-generator.js';
import { BedrockGuardrail } from '../adapters/bedrock/bedrock-guardrail.js';
import { PineconeRetriever } from '../adapters/pinecone/pinecone-retriever.js';
import { SecretsManagerApiKey, fixedApiKey, type ApiKeySource } from '../adapters/pinecone/secret-api-key.js';
import type {
  BackendsConfig,
  EmbedderConfig,
  GeneratorConfig,
  GuardrailConfig,
  PineconeIndexConfig,
} from '../config/backends-config.js';
import { ConfigurationError, invalidVariable } from '../config/configuration-error.js';
import { PassThroughGuardrail } from '../core/pass-through-guardrail.js';
import type { Embedder } from '../core/ports/embedder.js';
import type { Generator } from '../core/ports/generator.js';
import type { Guardrail } from '../core/ports/guardrail.js';
import type { VectorQuery } from '../core/ports/vector-index.js';
import { EnvVar } from '../shared/env.js';

/*
 * The cloud adapter of each port, built from its configuration over clients the composition root
 * made once. The Lambda's root imports this module statically; the local server's root imports it
 * only when a port is configured to a cloud backend.
 */

export type BedrockEmbedderConfig = Extract<EmbedderConfig, { readonly kind: 'bedrock' }>;
export type BedrockGeneratorConfig = Extract<GeneratorConfig, { readonly kind: 'bedrock' }>;
/** The guardrails a deployed function can run: Bedrock's, or none (attached to Converse, or off). */
export type CloudGuardrailConfig = Exclude<GuardrailConfig, { readonly kind: 'rules' }>;

export function bedrockEmbedder(config: BedrockEmbedderConfig, client: BedrockRuntimeClient): Embedder {
  try {
    return new BedrockEmbedder({
      modelId: config.modelId,
      ...(config.dimensions !== undefined && { dimensions: config.dimensions }),
      client,
    });
  } catch (error) {
    throw invalidVariable(EnvVar.embeddingModelId, config.modelId, (error as Error).message);
  }
}

export function bedrockGenerator(config: BedrockGeneratorConfig, client: BedrockRuntimeClient): Generator {
  return new BedrockGenerator({
    modelId: config.modelId,
    ...(config.condenseModelId !== undefined && { condenseModelId: config.condenseModelId }),
    ...(config.guardrail && { guardrail: config.guardrail }),
    client,
  });
}

export function cloudGuardrail(config: CloudGuardrailConfig, client: BedrockRuntimeClient): Guardrail {
  return config.kind === 'bedrock'
    ? new BedrockGuardrail({
        guardrailId: config.guardrailId,
        guardrailVersion: config.guardrailVersion,
        client,
      })
    : new PassThroughGuardrail();
}

/** The Pinecone API key: from Secrets Manager in a deployed stage, a plain one only against fakes. */
async function pineconeApiKey(
  config: PineconeIndexConfig,
  secretsManager: BackendsConfig['secretsManager'],
): Promise<ApiKeySource> {
  if ('plain' in config.apiKey) return fixedApiKey(config.apiKey.plain);
  const apiKey = new SecretsManagerApiKey({
    secretId: config.apiKey.secretId,
    client: new SecretsManagerClient(awsClientConfig(secretsManager)),
  });
  // Read at init (CPU-boosted, prepaid under provisioned concurrency). A failure here does not
  // fail the start: the first request reads again and answers 503 if the secret is still out of reach.
  await apiKey.get().catch(() => undefined);
  return apiKey;
}

/** Retrieval from the Pinecone index (the serving path only queries; ingestion has its own adapter). */
export async function pineconeRetriever(
  config: PineconeIndexConfig,
  secretsManager: BackendsConfig['secretsManager'],
): Promise<VectorQuery> {
  const retriever = new PineconeRetriever({
    apiKey: await pineconeApiKey(config, secretsManager),
    ...(config.host !== undefined && { host: config.host }),
    ...(config.indexName !== undefined && { indexName: config.indexName }),
    ...(config.namespace !== undefined && { namespace: config.namespace }),
  });
  // With only the index name, its host is looked up at init too; a failure is retried on use.
  await retriever.resolveHost().catch(() => undefined);
  return retriever;
}

/** The backends of a deployed function: every port on a cloud adapter. */
export interface CloudBackends extends Pick<BackendsConfig, 'bedrock' | 'secretsManager'> {
  readonly embedder: BedrockEmbedderConfig;
  readonly index: PineconeIndexConfig;
  readonly generator: BedrockGeneratorConfig;
  readonly guardrail: CloudGuardrailConfig;
}

const onlyCloud = (variable: string, kind: string) =>
  new ConfigurationError(
    `${variable}=${kind} is not available in the Lambda function, which wires only the cloud adapters ` +
      `(Bedrock, Pinecone); unset ${variable} there (the embedded defaults run with npm start).`,
  );

/** The configured backends, if every port is a cloud one; otherwise the variable to fix. */
export function cloudBackends(backends: BackendsConfig): CloudBackends {
  const { embedder, index, generator, guardrail } = backends;
  if (embedder.kind !== 'bedrock') throw onlyCloud(EnvVar.embedder, embedder.kind);
  if (index.kind !== 'pinecone') throw onlyCloud(EnvVar.index, index.kind);
  if (generator.kind !== 'bedrock') throw onlyCloud(EnvVar.generator, generator.kind);
  if (guardrail.kind === 'rules') throw onlyCloud(EnvVar.guardrail, guardrail.kind);
  return { ...backends, embedder, index, generator, guardrail };
}
