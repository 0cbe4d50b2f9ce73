import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MetricName } from '../../src/shared/metrics.js';
import { serverErrorRate, servingMetric } from './serving-metrics.js';
import type { AlarmsConfig } from '../config/stages.js';

/**
 * The thresholds of the serving alarms: the stage config's `alarms`, where each is documented,
 * without the subscribers and the evaluation window (given to the construct on their own).
 */
export type ServingAlarmThresholds = Omit<
  AlarmsConfig,
  'emailSubscribers' | 'periodMinutes' | 'evaluationPeriods' | 'datapointsToAlarm'
>;

export interface ServingAlarmsProps {
  /** Every alarm's ALARM and OK actions go to this topic. */
  readonly topic: sns.ITopic;
  readonly invocationsFunction: lambda.IFunction;
  readonly authorizerFunction: lambda.IFunction;
  /** The API stage, for the gateway's own 5xx, 4xx and latency. */
  readonly apiStage: apigw.Stage;
  /**
   * The alias with provisioned concurrency, when the stage has one: its spillover is alarmed.
   * @default - no provisioned concurrency, no spillover alarm
   */
  readonly provisionedAlias?: lambda.Alias;
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
 * (throttled before it ran, crashed, timed out); the gateway's metrics what never reached the
 * function (authorizer and firewall refusals, integration failures, cold starts). Missing data is
 * not breaching: a stage without traffic is not in alarm (a release is checked before it takes
 * traffic by the pre-traffic readiness hook instead). (The ingestion job's DLQ-depth alarm joins
 * when that job exists.)
 */
export class ServingAlarms extends Construct {
  readonly serverErrorRate: cloudwatch.Alarm;
  readonly p99Latency: cloudwatch.Alarm;
  readonly guardrailInterventions: cloudwatch.Alarm;
  readonly throttled: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly authorizerErrors: cloudwatch.Alarm;
  readonly streamFirstByte: cloudwatch.Alarm;
  readonly backendMisconfigured: cloudwatch.Alarm;
  readonly gatewayServerErrorRate: cloudwatch.Alarm;
  readonly gatewayClientErrorRate: cloudwatch.Alarm;
  readonly gatewayLatency: cloudwatch.Alarm;
  readonly provisionedSpillover?: cloudwatch.Alarm;
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

    this.streamFirstByte = alarm(
      'StreamFirstByte',
      'stream-first-byte',
      servingMetric(MetricName.streamTimeToFirstByte, { statistic: 'p99', period, service }),
      t.streamFirstByteP99Ms,
      above,
      `p99 time to the first byte of streamed answers above ${t.streamFirstByteP99Ms} ms: history, retrieval or ` +
        "the model's first token is slow.",
    );
    this.backendMisconfigured = alarm(
      'BackendMisconfigured',
      'backend-misconfigured',
      servingMetric(MetricName.backendMisconfigured, { statistic: 'Sum', period, service }),
      t.backendMisconfigured,
      atLeast,
      'Requests failed with 500 BACKEND_MISCONFIGURED: a backend refused access or lacks a model, index, table or ' +
        'secret. Not an outage; retries do not help. The log line names the backend and the fix; ' +
        'GET /health?deep=true (admin token) checks every backend.',
    );
    const gatewayRate = (id: string, errors: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({
        expression: `${id} / requests * 100`,
        usingMetrics: { [id]: errors, requests: props.apiStage.metricCount({ statistic: 'Sum', period }) },
        label,
        period,
      });
    this.gatewayServerErrorRate = alarm(
      'GatewayServerErrorRate',
      'gateway-5xx-rate',
      gatewayRate(
        'errors',
        props.apiStage.metricServerError({ statistic: 'Sum', period }),
        'Gateway 5xx (%)',
      ),
      t.gatewayServerErrorRatePercent,
      above,
      `API Gateway answered 5xx to more than ${t.gatewayServerErrorRatePercent} % of requests: the handler's 5xx ` +
        'plus what the function never answered (integration timeouts, crashes, authorizer failures).',
    );
    this.gatewayClientErrorRate = alarm(
      'GatewayClientErrorRate',
      'gateway-4xx-rate',
      gatewayRate(
        'rejected',
        props.apiStage.metricClientError({ statistic: 'Sum', period }),
        'Gateway 4xx (%)',
      ),
      t.gatewayClientErrorRatePercent,
      above,
      `API Gateway answered 4xx to more than ${t.gatewayClientErrorRatePercent} % of requests: a spike means the ` +
        'authorizer or token store refuses good tokens, the firewall blocks normal traffic, or a client broke.',
    );
    this.gatewayLatency = alarm(
      'GatewayLatency',
      'gateway-p99-latency',
      props.apiStage.metricLatency({ statistic: 'p99', period }),
      t.gatewayP99LatencyMs,
      above,
      `API Gateway's p99 latency above ${t.gatewayP99LatencyMs} ms: includes the authorizer and cold starts, which ` +
        "the handler's own latency cannot see.",
    );
    if (props.provisionedAlias) {
      this.provisionedSpillover = alarm(
        'ProvisionedSpillover',
        'provisioned-spillover',
        props.provisionedAlias.metric('ProvisionedConcurrencySpilloverInvocations', {
          statistic: 'Sum',
          period,
        }),
        t.provisionedSpillover,
        atLeast,
        `${t.provisionedSpillover} or more invocations in a period found every provisioned environment busy and ran ` +
          'on demand (cold): raise invocations.provisionedConcurrency.min, or let scaling react sooner.',
      );
    }

    this.all = [
      this.serverErrorRate,
      this.p99Latency,
      this.guardrailInterventions,
      this.throttled,
      this.functionThrottles,
      this.functionErrors,
      this.authorizerErrors,
      this.streamFirstByte,
      this.backendMisconfigured,
      this.gatewayServerErrorRate,
      this.gatewayClientErrorRate,
      this.gatewayLatency,
      ...(this.provisionedSpillover ? [this.provisionedSpillover] : []),
    ];
    // A release that breaks answers or its backends' setup rolls back.
    this.deploymentAlarms = [
      this.serverErrorRate,
      this.p99Latency,
      this.functionErrors,
      this.backendMisconfigured,
    ];
  }
}
