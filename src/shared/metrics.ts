/**
 * Metric names and namespace emitted by the handler and watched by the CDK alarms.
 * Both sides import these constants so an alarm can never watch a metric nobody emits.
 */
export const METRICS_NAMESPACE = 'RagServing';
export const SERVICE_NAME = 'rag-serving';

export const MetricName = {
  requests: 'Requests',
  requestLatency: 'RequestLatency',
  serverErrors: 'ServerErrors',
  clientErrors: 'ClientErrors',
  throttled: 'Throttled',
  stageLatency: 'StageLatency',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  guardrailInterventions: 'GuardrailInterventions',
  retrievalHits: 'RetrievalHits',
  coldStart: 'ColdStart',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];
