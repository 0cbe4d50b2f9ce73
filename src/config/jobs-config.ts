import { EnvVar } from '../shared/env.js';
import { JobsEnvVar } from '../shared/jobs.js';
import { ConfigurationError, invalidVariable } from './configuration-error.js';

/**
 * Settings of the job functions, from the environment the jobs stack sets (names in
 * `src/shared/jobs.ts` and `src/shared/env.ts`). A missing or bad value stops the start with a
 * message naming the variable.
 */
type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`${name} must be set.`);
  return value;
}

function positiveInt(env: Env, name: string, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new ConfigurationError(`${name} must be set.`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw invalidVariable(name, raw, 'must be a positive integer');
  return value;
}

function keyPrefix(env: Env, name: string): string {
  const value = required(env, name);
  if (!value.endsWith('/') || value.startsWith('/'))
    throw invalidVariable(name, value, 'must be a key prefix ending with /');
  return value;
}

const optional = (env: Env, name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

/** Where the stage's embeddings and index are, shared by the ingestion and batch functions. */
export interface EmbeddingIndexConfig {
  readonly embeddingModelId: string;
  readonly embeddingDimensions?: number;
  readonly pineconeIndexName?: string;
  readonly pineconeHost?: string;
  readonly pineconeNamespace?: string;
  readonly pineconeApiKeySecretId: string;
  /** Endpoint overrides (local stand-ins in tests). */
  readonly bedrockEndpoint?: string;
  readonly bedrockRegion?: string;
  readonly secretsManagerEndpoint?: string;
  readonly pineconeControllerHost?: string;
}

export interface IngestionJobConfig extends EmbeddingIndexConfig {
  readonly documentsBucket: string;
  readonly documentsPrefix: string;
  readonly sourceName: string;
  readonly maxDocumentBytes: number;
  readonly jobsTable: string;
  readonly dynamodbEndpoint?: string;
}

function embeddingIndexConfig(env: Env): EmbeddingIndexConfig {
  const indexName = optional(env, EnvVar.pineconeIndex);
  const host = optional(env, EnvVar.pineconeHost);
  if (indexName === undefined && host === undefined)
    throw new ConfigurationError(`${EnvVar.pineconeIndex} (or ${EnvVar.pineconeHost}) must be set.`);
  const dimensions = optional(env, EnvVar.embeddingDimensions);
  const namespace = optional(env, EnvVar.pineconeNamespace);
  const bedrockEndpoint = optional(env, EnvVar.bedrockEndpoint);
  const bedrockRegion = optional(env, EnvVar.bedrockRegion);
  const secretsEndpoint = optional(env, EnvVar.secretsManagerEndpoint);
  const controller = optional(env, 'PINECONE_CONTROLLER_HOST');
  return {
    embeddingModelId: required(env, EnvVar.embeddingModelId),
    ...(dimensions !== undefined && { embeddingDimensions: positiveInt(env, EnvVar.embeddingDimensions) }),
    ...(indexName !== undefined && { pineconeIndexName: indexName }),
    ...(host !== undefined && { pineconeHost: host }),
    ...(namespace !== undefined && { pineconeNamespace: namespace }),
    pineconeApiKeySecretId: required(env, EnvVar.pineconeApiKeySecretId),
    ...(bedrockEndpoint !== undefined && { bedrockEndpoint }),
    ...(bedrockRegion !== undefined && { bedrockRegion }),
    ...(secretsEndpoint !== undefined && { secretsManagerEndpoint: secretsEndpoint }),
    ...(controller !== undefined && { pineconeControllerHost: controller }),
  };
}

export function loadIngestionJobConfig(env: Env): IngestionJobConfig {
  const dynamodbEndpoint = optional(env, EnvVar.dynamodbEndpoint);
  return {
    ...embeddingIndexConfig(env),
    documentsBucket: required(env, JobsEnvVar.documentsBucket),
    documentsPrefix: keyPrefix(env, JobsEnvVar.documentsPrefix),
    sourceName: required(env, JobsEnvVar.ingestSource),
    maxDocumentBytes: positiveInt(env, JobsEnvVar.maxDocumentBytes),
    jobsTable: required(env, JobsEnvVar.jobsTable),
    ...(dynamodbEndpoint !== undefined && { dynamodbEndpoint }),
  };
}

export interface BatchJobConfig {
  readonly documentsBucket: string;
  readonly batchPrefix: string;
  readonly workPrefix: string;
  readonly linesPerRange: number;
  readonly lineConcurrency: number;
  readonly jobsTable: string;
  readonly principal: string;
}

export function loadBatchJobConfig(env: Env): BatchJobConfig {
  return {
    documentsBucket: required(env, JobsEnvVar.documentsBucket),
    batchPrefix: keyPrefix(env, JobsEnvVar.batchPrefix),
    workPrefix: keyPrefix(env, JobsEnvVar.workPrefix),
    linesPerRange: positiveInt(env, JobsEnvVar.linesPerRange, 100),
    lineConcurrency: positiveInt(env, JobsEnvVar.lineConcurrency, 8),
    jobsTable: required(env, JobsEnvVar.jobsTable),
    principal: optional(env, JobsEnvVar.batchPrincipal) ?? 'batch-job',
  };
}

export interface RunReportConfig {
  readonly jobsTable: string;
  readonly topicArn: string;
  readonly stage: string;
}

export function loadRunReportConfig(env: Env): RunReportConfig {
  return {
    jobsTable: required(env, JobsEnvVar.jobsTable),
    topicArn: required(env, JobsEnvVar.jobsTopicArn),
    stage: optional(env, JobsEnvVar.stage) ?? 'local',
  };
}
