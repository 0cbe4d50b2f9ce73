import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../../src/adapters/aws/client-config.js';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { DynamoDocumentManifest } from '../../src/adapters/dynamodb/document-manifest.js';
import { DynamoRunCounters } from '../../src/adapters/dynamodb/run-counters.js';
import { S3DocumentSource } from '../../src/adapters/s3/s3-document-source.js';
import { cloudIngestionTarget } from '../../src/composition/cloud-ingestion-target.js';
import { loadIngestionJobConfig } from '../../src/config/jobs-config.js';
import type { IngestionJobServices } from '../../src/jobs/ingestion-job.js';
import { JobMetrics } from '../../src/observability/job-metrics.js';
import { createServiceLogger } from '../../src/observability/logger.js';

/**
 * The ingestion function's composition root: cloud adapters only (S3, DynamoDB, Bedrock,
 * Pinecone through Secrets Manager), every client built once, at init.
 */
export function ingestionServicesFromEnvironment(env: NodeJS.ProcessEnv): IngestionJobServices {
  const config = loadIngestionJobConfig(env);
  const dynamo = new DynamoDBClient(
    awsClientConfig({ ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }) }),
  );
  const target = cloudIngestionTarget({
    embeddingModelId: config.embeddingModelId,
    ...(config.embeddingDimensions !== undefined && { embeddingDimensions: config.embeddingDimensions }),
    pinecone: {
      ...(config.pineconeIndexName !== undefined && { indexName: config.pineconeIndexName }),
      ...(config.pineconeHost !== undefined && { host: config.pineconeHost }),
      ...(config.pineconeNamespace !== undefined && { namespace: config.pineconeNamespace }),
      apiKeySecretId: config.pineconeApiKeySecretId,
      ...(config.pineconeControllerHost !== undefined && {
        controllerHostUrl: config.pineconeControllerHost,
      }),
    },
    bedrock: bedrockRuntimeClient({
      ...(config.bedrockEndpoint !== undefined && { endpoint: config.bedrockEndpoint }),
      ...(config.bedrockRegion !== undefined && { region: config.bedrockRegion }),
    }),
    secretsManager: new SecretsManagerClient(
      awsClientConfig({ ...(config.secretsManagerEndpoint && { endpoint: config.secretsManagerEndpoint }) }),
    ),
  });
  return {
    target,
    source: new S3DocumentSource({
      bucket: config.documentsBucket,
      prefix: config.documentsPrefix,
      client: new S3Client({}),
    }),
    sourceName: config.sourceName,
    manifest: new DynamoDocumentManifest({
      tableName: config.jobsTable,
      sourceName: config.sourceName,
      ...(target.namespace !== undefined && { namespace: target.namespace }),
      client: dynamo,
    }),
    maxDocumentBytes: config.maxDocumentBytes,
    runs: new DynamoRunCounters({ tableName: config.jobsTable, client: dynamo }),
    metrics: new JobMetrics('ingestion'),
    logger: createServiceLogger(),
  };
}
