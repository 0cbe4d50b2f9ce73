import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRICS_NAMESPACE,
  MetricName,
  SERVICE_DIMENSION,
  SERVICE_NAME,
  STAGE_DIMENSION,
  type MetricNameValue,
} from '../../src/shared/metrics.js';

/** The dimension Powertools adds to its `ColdStart` metric: the Lambda function's name. */
export const FUNCTION_NAME_DIMENSION = 'function_name';

export interface ServingMetricOptions {
  readonly statistic: string;
  readonly period: Duration;
  readonly label?: string;
  /** The `Stage` dimension, which only `StageLatency` carries. @default - none */
  readonly pipelineStage?: string;
  /** The `function_name` dimension, which only `ColdStart` carries. @default - none */
  readonly functionName?: string;
  /** The `service` dimension: the stage's service name (`serviceNameFor(stage)`). @default SERVICE_NAME */
  readonly service?: string;
}

/**
 * A metric the handler emits (`src/observability/serving-metrics.ts`): the shared namespace and
 * name, and the `service` dimension that Powertools Metrics adds to every metric. Alarms and the
 * dashboard build all handler metrics here, so they match what the code writes.
 */
export function servingMetric(name: MetricNameValue, options: ServingMetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: {
      [SERVICE_DIMENSION]: options.service ?? SERVICE_NAME,
      ...(options.pipelineStage !== undefined && { [STAGE_DIMENSION]: options.pipelineStage }),
      ...(options.functionName !== undefined && { [FUNCTION_NAME_DIMENSION]: options.functionName }),
    },
    statistic: options.statistic,
    period: options.period,
    ...(options.label !== undefined && { label: options.label }),
  });
}

/**
 * The share of requests answered 5xx, in percent: a rate, not a count, since 5 errors are an
 * incident at 10 requests and noise at 100,000. The alarm and the dashboard plot the same series.
 */
export function serverErrorRate(
  period: Duration,
  label: string,
  service?: string,
): cloudwatch.MathExpression {
  const sum = (name: MetricNameValue) =>
    servingMetric(name, { statistic: 'Sum', period, ...(service && { service }) });
  return new cloudwatch.MathExpression({
    expression: 'errors / requests * 100',
    usingMetrics: { errors: sum(MetricName.serverErrors), requests: sum(MetricName.requests) },
    label,
    period,
  });
}
