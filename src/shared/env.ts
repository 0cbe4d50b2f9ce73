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
  /** A streamed answer's budget until it opens (headers and first event); default the request timeout. */
  streamFirstByteMs: 'RAG_STREAM_FIRST_BYTE_MS',
  /** A streamed answer's budget to its last byte; default the request timeout. */
  streamTimeoutMs: 'RAG_STREAM_TIMEOUT_MS',
  batchConcurrency: 'RAG_BATCH_CONCURRENCY',
  version: 'RAG_VERSION',
  /** DynamoDB table of token hashes; unset means the local token file under the data directory. */
  tokenTable: 'TOKEN_TABLE_NAME',
  /** DynamoDB table of per-principal usage counters for quotas. */
  usageTable: 'USAGE_TABLE_NAME',
  /** Requests per principal per minute; 0 means unlimited. */
  quotaRpm: 'RAG_QUOTA_RPM',
  /** Model tokens (input + output) per principal per minute; 0 means unlimited. */
  quotaTpm: 'RAG_QUOTA_TPM',
  /** Length of a quota window; 60 outside of tests. */
  quotaWindowSeconds: 'RAG_QUOTA_WINDOW_SECONDS',
  /** How long the authorizer trusts a verified token before looking it up again; 0 disables the cache. */
  authCacheSeconds: 'RAG_AUTH_CACHE_SECONDS',
  /** `true` logs request bodies (prompts) for debugging; tokens and PII stay masked either way. */
  logPrompts: 'RAG_LOG_PROMPTS',
  /** Powertools' own variable, also passed explicitly so the local server can set it per instance. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  // Which adapter serves each port (defaults follow RAG_BACKEND: local or aws/fakes).
  embedder: 'RAG_EMBEDDER',
  index: 'RAG_INDEX',
  generator: 'RAG_GENERATOR',
  guardrail: 'RAG_GUARDRAIL',
  /** `apply`: ApplyGuardrail on the question and the answer; `converse`: attached to the Converse call. */
  guardrailMode: 'RAG_GUARDRAIL_MODE',
  /** Streamed answers: `sync` holds text until the guardrail passed it; `async` sends it at once and checks beside. */
  guardrailStreamMode: 'RAG_GUARDRAIL_STREAM_MODE',
  // Bedrock
  bedrockEndpoint: 'BEDROCK_ENDPOINT',
  bedrockRegion: 'BEDROCK_REGION',
  embeddingModelId: 'BEDROCK_EMBEDDING_MODEL_ID',
  embeddingDimensions: 'BEDROCK_EMBEDDING_DIMENSIONS',
  generationModelId: 'BEDROCK_GENERATION_MODEL_ID',
  condenseModelId: 'BEDROCK_CONDENSE_MODEL_ID',
  guardrailId: 'BEDROCK_GUARDRAIL_ID',
  guardrailVersion: 'BEDROCK_GUARDRAIL_VERSION',
  // Pinecone
  pineconeHost: 'PINECONE_HOST',
  pineconeIndex: 'PINECONE_INDEX',
  pineconeNamespace: 'PINECONE_NAMESPACE',
  pineconeApiKeySecretId: 'PINECONE_API_KEY_SECRET_ID',
  /** A plain key: refused unless RAG_BACKEND=fakes (deployed stages read the secret). */
  pineconeApiKey: 'PINECONE_API_KEY',
  secretsManagerEndpoint: 'SECRETS_MANAGER_ENDPOINT',
  // Any OpenAI-compatible model server (Ollama, llama.cpp's server, vLLM, LM Studio)
  /** Base URL of its API, e.g. http://127.0.0.1:11434/v1. */
  openaiBaseUrl: 'RAG_OPENAI_BASE_URL',
  /** Chat model for answers and for condensing follow-ups. */
  openaiModel: 'RAG_OPENAI_MODEL',
  openaiEmbeddingModel: 'RAG_OPENAI_EMBEDDING_MODEL',
  /** Sent as a bearer token when set; local servers usually need none. */
  openaiApiKey: 'RAG_OPENAI_API_KEY',
  /** The pre-traffic hook: the ARN of the function version it checks before the alias moves. */
  preTrafficTarget: 'PRE_TRAFFIC_TARGET_ARN',
} as const;

/** RAG_BACKEND values: embedded defaults, a deployed stage, or cloud adapters against local fakes. */
export const BACKENDS = ['local', 'aws', 'fakes'] as const;
export type Backend = (typeof BACKENDS)[number];
