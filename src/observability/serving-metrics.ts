import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../shared/metrics.js';
import type { Answer } from '../core/pipeline.js';

/** A finished response, as recordResponse counts it. */
export interface RecordedResponse {
  readonly statusCode: number;
  /** To the last byte. */
  readonly latencyMs: number;
  /** Set for a streamed response: the time to its headers. */
  readonly firstByteMs?: number;
  /** A stream that failed after its headers. */
  readonly failedAfterHeaders?: boolean;
  /** The request failed on a misconfigured backend (a non-retryable BackendError). */
  readonly misconfigured?: boolean;
}

/**
 * The metrics the handler emits, by name from `src/shared/metrics.ts`, so the alarms in `lib/`
 * watch exactly these. Dimension: `service` only, which the alarms match.
 */
export class ServingMetrics {
  readonly metrics: Metrics;

  constructor(metrics?: Metrics) {
    // On AWS the stack sets POWERTOOLS_SERVICE_NAME to the stage's service name (serviceNameFor).
    const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;
    this.metrics = metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  }

  /**
   * One finished response. A streamed one is measured to its last byte (StreamDuration) and to its
   * headers (StreamTimeToFirstByte) rather than as RequestLatency, whose alarm budgets a whole
   * buffered answer; a stream that failed after its headers is a server error whatever its status.
   */
  recordResponse(response: RecordedResponse): void {
    const { statusCode, latencyMs } = response;
    const serverError = statusCode >= 500 || response.failedAfterHeaders === true;
    this.metrics.addMetric(MetricName.requests, MetricUnit.Count, 1);
    if (response.firstByteMs === undefined) {
      this.metrics.addMetric(MetricName.requestLatency, MetricUnit.Milliseconds, latencyMs);
    } else {
      this.metrics.addMetric(MetricName.streamTimeToFirstByte, MetricUnit.Milliseconds, response.firstByteMs);
      this.metrics.addMetric(MetricName.streamDuration, MetricUnit.Milliseconds, latencyMs);
    }
    this.metrics.addMetric(MetricName.serverErrors, MetricUnit.Count, serverError ? 1 : 0);
    this.metrics.addMetric(
      MetricName.clientErrors,
      MetricUnit.Count,
      statusCode >= 400 && statusCode < 500 ? 1 : 0,
    );
    if (statusCode === 429) this.metrics.addMetric(MetricName.throttled, MetricUnit.Count, 1);
    if (response.misconfigured) this.metrics.addMetric(MetricName.backendMisconfigured, MetricUnit.Count, 1);
  }

  recordAnswer(answer: Answer): void {
    this.metrics.addMetric(MetricName.inputTokens, MetricUnit.Count, answer.usage.inputTokens);
    this.metrics.addMetric(MetricName.outputTokens, MetricUnit.Count, answer.usage.outputTokens);
    this.metrics.addMetric(MetricName.retrievalHits, MetricUnit.Count, answer.trace.retrieved.length);
    this.metrics.addMetric(
      MetricName.guardrailInterventions,
      MetricUnit.Count,
      answer.guardrail.action === 'INTERVENED' ? 1 : 0,
    );
    for (const [stage, ms] of Object.entries(answer.trace.timingsMs)) {
      if (stage === 'total') continue;
      const single = this.metrics.singleMetric();
      single.addDimension('Stage', stage);
      single.addMetric(MetricName.stageLatency, MetricUnit.Milliseconds, ms);
    }
  }
}
