import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MetricName } from '../../src/shared/metrics.js';
import { serverErrorRate, servingMetric } from './serving-metrics.js';

/** Thresholds and evaluation of the serving alarms (the stage config's `alarms`). */
export interface ServingAlarmThresholds {
  /** Percentage of requests answered 5xx. */
  readonly serverErrorRatePercent: number;
  /** p99 of the handler's RequestLatency, in ms. */
  readonly p99LatencyMs: number;
  /** Guardrail interventions per period. */
  readonly guardrailInterventions: number;
  /** Throttled requests per period (the handler's quota 429s, and Lambda throttles, alarmed apart). */
  readonly throttles: number;
  /** Invocations function errors per period. */
  readonly functionErrors: number;
  /** Authorizer function errors per period. */
  readonly authorizerErrors: number;
}

export interface ServingAlarmsProps {
  /** Every alarm's ALARM and OK actions go to this topic. */
  readonly topic: sns.ITopic;
  readonly invocationsFunction: lambda.IFunction;
  readonly authorizerFunction: lambda.IFunction;
  readonly thresholds: ServingAlarmThresholds;
  /** Prefix of the alarm names, e.g. `rag-serving-prod`. */
  readonly alarmNamePrefix: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
  /** The `service` dimension the handler writes: `serviceNameFor(stage)`. @default SERVICE_NAME */
  readonly serviceName?: string;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
}

/**
 * The stage's alarms (DESIGN 5). Handler metrics come from the shared names of
 * `src/shared/metrics.ts`; the Lambda metrics cover what the handler cannot report about itself
 * (throttled before it ran, crashed, timed out). Missing data is not breaching: a stage without
 * traffic is not in alarm. (The ingestion job's DLQ-depth alarm joins when that job exists.)
 */
export class ServingAlarms extends Construct {
  readonly serverErrorRate: cloudwatch.Alarm;
  readonly p99Latency: cloudwatch.Alarm;
  readonly guardrailInterventions: cloudwatch.Alarm;
  readonly throttled: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly authorizerErrors: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly all: readonly cloudwatch.Alarm[];
  /** The alarms that tell a bad release apart: a canary deployment rolls back when one fires. */
  readonly deploymentAlarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ServingAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const evaluationPeriods = props.evaluationPeriods ?? 1;
    const datapointsToAlarm = props.datapointsToAlarm ?? evaluationPeriods;
    if (datapointsToAlarm > evaluationPeriods) {
      throw new Error(
        `datapointsToAlarm (${datapointsToAlarm}) must be at most evaluationPeriods (${evaluationPeriods})`,
      );
    }
    const { thresholds: t } = props;
    const service = props.serviceName;
    const alarm = (
      alarmId: string,
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
      description: string,
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${props.alarmNamePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods,
        datapointsToAlarm,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new actions.SnsAction(props.topic));
      created.addOkAction(new actions.SnsAction(props.topic));
      return created;
    };
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;

    this.serverErrorRate = alarm(
      'ServerErrorRate',
      'server-error-rate',
      serverErrorRate(period, '5xx responses (% of requests)', service),
      t.serverErrorRatePercent,
      above,
      `More than ${t.serverErrorRatePercent} % of requests answered 5xx (backend unavailable, deadline exceeded, internal error).`,
    );
    this.p99Latency = alarm(
      'P99Latency',
      'p99-latency',
      servingMetric(MetricName.requestLatency, { statistic: 'p99', period, service }),
      t.p99LatencyMs,
      above,
      `p99 request latency above ${t.p99LatencyMs} ms; the dashboard's stage latency shows which pipeline stage is slow.`,
    );
    this.guardrailInterventions = alarm(
      'GuardrailInterventions',
      'guardrail-interventions',
      servingMetric(MetricName.guardrailInterventions, { statistic: 'Sum', period, service }),
      t.guardrailInterventions,
      atLeast,
      `The guardrail intervened ${t.guardrailInterventions} or more times in a period: abuse, or a guardrail change blocking normal use.`,
    );
    this.throttled = alarm(
      'Throttled',
      'quota-throttled',
      servingMetric(MetricName.throttled, { statistic: 'Sum', period, service }),
      t.throttles,
      atLeast,
      `${t.throttles} or more requests answered 429 REQUEST_LIMIT_EXCEEDED by the handler (quotas) in a period.`,
    );
    this.functionThrottles = alarm(
      'FunctionThrottles',
      'function-throttles',
      props.invocationsFunction.metricThrottles({ statistic: 'Sum', period }),
      t.throttles,
      atLeast,
      `Lambda throttled the invocations function ${t.throttles} or more times in a period: concurrency limit reached.`,
    );
    this.functionErrors = alarm(
      'FunctionErrors',
      'function-errors',
      props.invocationsFunction.metricErrors({ statistic: 'Sum', period }),
      t.functionErrors,
      atLeast,
      'The invocations function crashed, timed out or failed to start: failures that never became a response, ' +
        'so the handler metrics cannot count them.',
    );
    this.authorizerErrors = alarm(
      'AuthorizerErrors',
      'authorizer-errors',
      props.authorizerFunction.metricErrors({ statistic: 'Sum', period }),
      t.authorizerErrors,
      atLeast,
      `${t.authorizerErrors} or more authorizer errors in a period. A rejected token counts too (a TOKEN authorizer ` +
        'answers 401 by throwing), so this means a broken token store or someone guessing tokens.',
    );

    this.all = [
      this.serverErrorRate,
      this.p99Latency,
      this.guardrailInterventions,
      this.throttled,
      this.functionThrottles,
      this.functionErrors,
      this.authorizerErrors,
    ];
    this.deploymentAlarms = [this.serverErrorRate, this.p99Latency, this.functionErrors];
  }
}
