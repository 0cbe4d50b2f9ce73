import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { bedrockRuntimeClient } from '../adapters/bedrock/bedrock-client.js';
import { DynamoDocumentManifest } from '../adapters/dynamodb/document-manifest.js';
import { openLocalRetrieval } from '../adapters/local/open-local-retrieval.js';
import { S3DocumentSource, parseS3Location } from '../adapters/s3/s3-document-source.js';
import { cloudIngestionTarget } from '../composition/cloud-ingestion-target.js';
import type { IngestTarget } from '../ingest/checkpoint-writer.js';
import type { DocumentSource } from '../ingest/documents/document-source.js';
import { FolderSource } from '../ingest/documents/folder-source.js';
import type { DocumentManifest } from '../ingest/manifest/document-manifest.js';
import { FileManifest } from '../ingest/manifest/file-manifest.js';
import { localManifestPath } from '../ingest/manifest/local-manifest-path.js';
import { EnvVar } from '../shared/env.js';
import type { StageJobResources } from './stage-outputs.js';

/** Where a CLI run writes, with the manifest that goes with it. */
export interface CliTarget {
  readonly target: IngestTarget;
  readonly manifest: DocumentManifest;
  readonly describe: string;
  /** Releases SDK clients. */
  close(): void;
}

/** A folder, or `s3://bucket/prefix/` read with the caller's AWS credentials. */
export function documentSource(location: string, region?: string): { source: DocumentSource; close(): void } {
  if (!location.startsWith('s3://')) return { source: new FolderSource(location), close: () => undefined };
  const client = new S3Client(region ? { region } : {});
  return {
    source: new S3DocumentSource({ ...parseS3Location(location), client }),
    close: () => client.destroy(),
  };
}

/** The local index and embedder under the data directory, with the file manifest beside them. */
export async function localTarget(
  dataDir: string,
  sourceName: string,
  namespace?: string,
): Promise<CliTarget> {
  const { embedder, index } = await openLocalRetrieval(dataDir);
  return {
    target: {
      embedder,
      index,
      ...(namespace !== undefined && { namespace }),
      // One rewrite of the index file per checkpoint instead of one per batch.
      writeBatch: (work) => index.batch(work),
    },
    manifest: await FileManifest.open(localManifestPath(dataDir, sourceName, namespace)),
    describe: `the local index in ${dataDir}`,
    close: () => undefined,
  };
}

/**
 * A deployed stage's Pinecone index through Bedrock embeddings, with its DynamoDB manifest, so that
 * a run from a laptop and the stage's own job share what was ingested. Uses the caller's AWS
 * credentials; `BEDROCK_ENDPOINT` and `PINECONE_CONTROLLER_HOST` point at stand-ins (tests).
 */
export function stageTarget(resources: StageJobResources, sourceName: string, namespace?: string): CliTarget {
  const region = resources.region;
  const bedrock: BedrockRuntimeClient = bedrockRuntimeClient({
    region,
    ...(process.env[EnvVar.bedrockEndpoint] && { endpoint: process.env[EnvVar.bedrockEndpoint] }),
  });
  const secretsManager = new SecretsManagerClient({ region });
  const dynamo = new DynamoDBClient({ region });
  const partition = namespace ?? resources.pineconeNamespace;
  const controllerHostUrl = process.env.PINECONE_CONTROLLER_HOST;
  return {
    target: cloudIngestionTarget({
      embeddingModelId: resources.embeddingModelId,
      pinecone: {
        indexName: resources.pineconeIndexName,
        ...(resources.pineconeHost !== undefined && { host: resources.pineconeHost }),
        namespace: partition,
        apiKeySecretId: resources.pineconeApiKeySecret,
        ...(controllerHostUrl && { controllerHostUrl }),
      },
      bedrock,
      secretsManager,
    }),
    manifest: new DynamoDocumentManifest({
      tableName: resources.jobsTable,
      sourceName,
      namespace: partition,
      client: dynamo,
    }),
    describe: `Pinecone index '${resources.pineconeIndexName}' (namespace '${partition}') of stage ${resources.stage}`,
    close: () => {
      bedrock.destroy();
      secretsManager.destroy();
      dynamo.destroy();
    },
  };
}

/** The stage's own documents: its bucket's documents prefix, under the stage's source name. */
export function stageDocumentsLocation(resources: StageJobResources): string {
  return `s3://${resources.documentsBucket}/${resources.documentsPrefix}`;
}
