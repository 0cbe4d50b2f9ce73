/** Environment variable names read by the functions and set by the CDK stacks and the local server. */
export const EnvVar = {
  endpointName: 'RAG_ENDPOINT_NAME',
  backend: 'RAG_BACKEND',
  dataDir: 'RAG_DATA_DIR',
  token: 'RAG_TOKEN',
  port: 'PORT',
  sessionTable: 'SESSION_TABLE_NAME',
  sessionTtlDays: 'SESSION_TTL_DAYS',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  guardrailDenyList: 'RAG_GUARDRAIL_DENY',
  requestTimeoutMs: 'RAG_REQUEST_TIMEOUT_MS',
  batchConcurrency: 'RAG_BATCH_CONCURRENCY',
  version: 'RAG_VERSION',
  /** Table of token hashes (`src/shared/tables.ts`), read by the authorizer. */
  tokenTable: 'TOKEN_TABLE_NAME',
  /** Table of per-principal usage counters for quotas (`src/shared/tables.ts`). */
  usageTable: 'USAGE_TABLE_NAME',
  /** Bedrock model or cross-region inference profile id used for query embeddings. */
  embeddingModelId: 'BEDROCK_EMBEDDING_MODEL_ID',
  /** Bedrock model or cross-region inference profile id used for generation (Converse). */
  generationModelId: 'BEDROCK_GENERATION_MODEL_ID',
  /** Bedrock guardrail id (or ARN) applied to input and output. */
  guardrailId: 'BEDROCK_GUARDRAIL_ID',
  /** Bedrock guardrail version: `DRAFT` or a number. */
  guardrailVersion: 'BEDROCK_GUARDRAIL_VERSION',
  pineconeIndex: 'PINECONE_INDEX_NAME',
  /** Default Pinecone namespace; a principal bound to a namespace uses its own. */
  pineconeNamespace: 'PINECONE_NAMESPACE',
  /** Name of the Secrets Manager secret holding the Pinecone API key (never the key itself). */
  pineconeApiKeySecret: 'PINECONE_API_KEY_SECRET',
} as const;
