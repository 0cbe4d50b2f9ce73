import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CITED_SOURCES_LOG } from '../../src/shared/logs.js';
import { MetricName, PIPELINE_STAGES } from '../../src/shared/metrics.js';
import { serverErrorRate, servingMetric } from './serving-metrics.js';

export interface ServingDashboardProps {
  readonly dashboardName: string;
  /** Shown in the header: which stage and endpoint this is. */
  readonly title: string;
  readonly invocationsFunction: lambda.IFunction;
  /** The invocations function's log group, where the cited-sources lines are. */
  readonly invocationsLogGroup: logs.ILogGroup;
  /** Shown as a status panel. @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
  /** The `service` dimension the handler writes: `serviceNameFor(stage)`. @default SERVICE_NAME */
  readonly serviceName?: string;
}

/**
 * The business view of one stage (DESIGN 1, "dashboards for business users"): traffic, latency,
 * errors, token use, guardrail interventions and the most cited documents. The cited documents
 * come from a Logs Insights query over the `cited sources` log lines that the invocations route
 * writes (field `cited_sources`, source names only, see `src/shared/logs.ts`).
 */
export class ServingDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServingDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const service = props.serviceName;
    const metric = (name: Parameters<typeof servingMetric>[0], statistic: string, label: string) =>
      servingMetric(name, { statistic, period, label, service });
    const wide = 8;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# ${props.title}\n` +
          'Requests, answers and costs of the serving endpoint. Latency is measured in the handler, from request to ' +
          'last byte; a 5xx is a failure on our side (backend unavailable, deadline exceeded).',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests',
        left: [
          metric(MetricName.requests, 'Sum', 'requests'),
          metric(MetricName.clientErrors, 'Sum', '4xx (caller errors)'),
          metric(MetricName.serverErrors, 'Sum', '5xx (our errors)'),
          metric(MetricName.backendMisconfigured, 'Sum', '500 backend misconfigured'),
        ],
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Error rate (% of requests answered 5xx)',
        left: [serverErrorRate(period, '5xx %', service)],
        leftYAxis: { min: 0, max: 100, showUnits: false },
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency (ms)',
        left: [
          ...['p50', 'p90', 'p99'].map((p) => metric(MetricName.requestLatency, p, `buffered ${p}`)),
          ...['p50', 'p99'].map((p) => metric(MetricName.streamTimeToFirstByte, p, `stream first byte ${p}`)),
          metric(MetricName.streamDuration, 'p90', 'stream to last byte p90'),
        ],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Tokens',
        left: [
          metric(MetricName.inputTokens, 'Sum', 'input tokens'),
          metric(MetricName.outputTokens, 'Sum', 'output tokens'),
        ],
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Guardrail interventions',
        left: [metric(MetricName.guardrailInterventions, 'Sum', 'interventions')],
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Chunks retrieved per answer',
        left: [metric(MetricName.retrievalHits, 'Average', 'average')],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Pipeline stage latency, p90 (ms)',
        left: PIPELINE_STAGES.map((stage) =>
          servingMetric(MetricName.stageLatency, {
            statistic: 'p90',
            period,
            label: stage,
            pipelineStage: stage,
            service,
          }),
        ),
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttled requests',
        left: [
          metric(MetricName.throttled, 'Sum', 'quota (429 from the handler)'),
          props.invocationsFunction.metricThrottles({ statistic: 'Sum', period, label: 'Lambda throttles' }),
        ],
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function',
        left: [
          props.invocationsFunction.metricInvocations({ statistic: 'Sum', period, label: 'invocations' }),
          props.invocationsFunction.metricErrors({ statistic: 'Sum', period, label: 'errors' }),
          servingMetric(MetricName.coldStart, {
            statistic: 'Sum',
            period,
            label: 'cold starts',
            functionName: props.invocationsFunction.functionName,
            service,
          }),
        ],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Most cited documents',
        logGroupNames: [props.invocationsLogGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: topCitedSourcesQuery(10),
        width: 12,
        height: 8,
      }),
      ...(props.alarms && props.alarms.length > 0
        ? [
            new cloudwatch.AlarmStatusWidget({
              title: 'Alarms',
              alarms: [...props.alarms],
              width: 12,
              height: 8,
            }),
          ]
        : []),
    );
  }
}

/** Logs Insights: the `limit` source names cited most often, from the handler's `cited sources` lines. */
export function topCitedSourcesQuery(limit: number): string[] {
  return [
    `filter message = '${CITED_SOURCES_LOG.message}'`,
    'fields jsonParse(@message) as entry',
    `unnest entry.${CITED_SOURCES_LOG.field} into source`,
    'stats count(*) as citations by source',
    'sort citations desc',
    `limit ${limit}`,
  ];
}
