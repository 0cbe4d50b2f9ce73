/** Request limits of the invocations API, documented in the README and enforced by the handler. */
export const Limits = {
  /** Lambda's synchronous payload limit; Databricks allows 16 MB, AWS does not. */
  maxBodyBytes: 6 * 1024 * 1024,
  maxRecords: 100,
  maxQueryChars: 10_000,
  maxSessionIdChars: 128,
  sessionIdPattern: /^[A-Za-z0-9._:-]+$/,
  maxTopK: 50,
  maxTokens: 4096,
} as const;

export const Defaults = {
  topK: 5,
  historyTurns: 6,
  batchConcurrency: 8,
  requestTimeoutMs: 25_000,
  endpointName: 'rag',
} as const;
