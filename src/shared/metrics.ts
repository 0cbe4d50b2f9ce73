/**
 * Metric names and namespace emitted by the handler and watched by the CDK alarms.
 * Both sides import these constants so an alarm can never watch a metric nobody emits.
 */
export const METRICS_NAMESPACE = 'RagServing';
export const SERVICE_NAME = 'rag-serving';
/**
 * The `service` dimension of one stage's metrics (the functions' POWERTOOLS_SERVICE_NAME), so that
 * the alarms of two stages in one account and region never watch each other's traffic.
 */
export const serviceNameFor = (stage: string): string => `${SERVICE_NAME}-${stage}`;
/** The dimension Powertools Metrics adds to every metric, valued with the service name. */
export const SERVICE_DIMENSION = 'service';
/** The extra dimension of `StageLatency`: the pipeline stage (session, embed, retrieve, ...). */
export const STAGE_DIMENSION = 'Stage';

export const MetricName = {
  requests: 'Requests',
  /** Latency of a response sent whole, to its last byte. */
  requestLatency: 'RequestLatency',
  /** A streamed answer: from the request to its headers (the stream opening). */
  streamTimeToFirstByte: 'StreamTimeToFirstByte',
  /** A streamed answer: from the request to its last byte. */
  streamDuration: 'StreamDuration',
  /** Requests that failed on a misconfigured backend (500 BACKEND_MISCONFIGURED): not an outage. */
  backendMisconfigured: 'BackendMisconfigured',
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

/**
 * Values of the `Stage` dimension of `StageLatency`, in pipeline order (the stages that
 * `src/core/stage-timer.ts` times; a type test keeps the two lists equal).
 */
export const PIPELINE_STAGES = [
  'session',
  'guardrail_input',
  'condense',
  'embed',
  'retrieve',
  'generate',
  'guardrail_output',
  'store',
] as const;
