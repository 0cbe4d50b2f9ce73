import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../shared/metrics.js';
import type { Answer } from '../core/pipeline.js';

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

  recordResponse(statusCode: number, latencyMs: number): void {
    this.metrics.addMetric(MetricName.requests, MetricUnit.Count, 1);
    this.metrics.addMetric(MetricName.requestLatency, MetricUnit.Milliseconds, latencyMs);
    this.metrics.addMetric(MetricName.serverErrors, MetricUnit.Count, statusCode >= 500 ? 1 : 0);
    this.metrics.addMetric(
      MetricName.clientErrors,
      MetricUnit.Count,
      statusCode >= 400 && statusCode < 500 ? 1 : 0,
    );
    if (statusCode === 429) this.metrics.addMetric(MetricName.throttled, MetricUnit.Count, 1);
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
