import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../../src/adapters/aws/client-config.js';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { BedrockGenerator } from '../../src/adapters/bedrock/bedrock-generator.js';
import { BedrockGuardrail } from '../../src/adapters/bedrock/bedrock-guardrail.js';
import { DynamoRunCounters } from '../../src/adapters/dynamodb/run-counters.js';
import { DynamoSessionStore } from '../../src/adapters/dynamodb/session-store.js';
// Five lines with no dependency: a guardrail attached to Converse, or none.
import { PassThroughGuardrail } from '../../src/adapters/local/pass-through-guardrail.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { SecretsManagerApiKey, fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { loadBatchJobConfig } from '../../src/config/jobs-config.js';
import { ConfigurationError, loadServingConfig } from '../../src/config/serving-config.js';
import { RagPipeline } from '../../src/core/pipeline.js';
import type { Guardrail } from '../../src/core/ports/guardrail.js';
import { systemClock } from '../../src/core/ports/clock.js';
import type { BatchJobServices } from '../../src/jobs/batch-job.js';
import { createServiceLogger } from '../../src/observability/logger.js';

/**
 * The batch-answers function's composition root: the serving pipeline wired statically with the
 * cloud adapters the stage's settings name (Bedrock, Pinecone, DynamoDB sessions) and S3, every
 * client built once, at init. It answers exactly as the invocations function does.
 */
export function batchServicesFromEnvironment(env: NodeJS.ProcessEnv): BatchJobServices {
  const serving = loadServingConfig(env);
  const { embedder, index, generator, guardrail } = serving.backends;
  if (embedder.kind !== 'bedrock' || index.kind !== 'pinecone' || generator.kind !== 'bedrock') {
    throw new ConfigurationError('The batch-answers function needs RAG_BACKEND=aws (Bedrock and Pinecone).');
  }
  const bedrock = bedrockRuntimeClient(serving.backends.bedrock);
  const dynamo = new DynamoDBClient(
    awsClientConfig({ ...(serving.dynamodbEndpoint && { endpoint: serving.dynamodbEndpoint }) }),
  );
  const apiKey =
    'plain' in index.apiKey
      ? fixedApiKey(index.apiKey.plain)
      : new SecretsManagerApiKey({
          secretId: index.apiKey.secretId,
          client: new SecretsManagerClient(awsClientConfig(serving.backends.secretsManager)),
        });
  const separateGuardrail: Guardrail =
    guardrail.kind === 'bedrock'
      ? new BedrockGuardrail({ ...guardrail, client: bedrock })
      : new PassThroughGuardrail();
  const pipeline = new RagPipeline({
    embedder: new BedrockEmbedder({
      modelId: embedder.modelId,
      ...(embedder.dimensions !== undefined && { dimensions: embedder.dimensions }),
      client: bedrock,
    }),
    index: new PineconeVectorIndex({
      apiKey,
      ...(index.host !== undefined && { host: index.host }),
      ...(index.indexName !== undefined && { indexName: index.indexName }),
      ...(index.namespace !== undefined && { namespace: index.namespace }),
    }),
    generator: new BedrockGenerator({
      modelId: generator.modelId,
      ...(generator.condenseModelId !== undefined && { condenseModelId: generator.condenseModelId }),
      ...(generator.guardrail && { guardrail: generator.guardrail }),
      client: bedrock,
    }),
    guardrail: separateGuardrail,
    sessions: new DynamoSessionStore({
      tableName: serving.sessionTable,
      client: dynamo,
      ttlDays: serving.sessionTtlDays,
    }),
    clock: systemClock,
  });
  const config = loadBatchJobConfig(env);
  return {
    config,
    pipeline,
    s3: new S3Client({}),
    lineTimeoutMs: serving.requestTimeoutMs,
    runs: new DynamoRunCounters({ tableName: config.jobsTable, client: dynamo }),
    logger: createServiceLogger(),
  };
}
