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
} as const;
