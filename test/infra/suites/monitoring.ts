import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import type { StageName } from '../../../lib/config/stages.js';
import { AlarmTopic } from '../../../lib/constructs/alarm-topic.js';
import type { Answer } from '../../../src/core/pipeline.js';
import type { Stage as TimedStage } from '../../../src/core/stage-timer.js';
import { ServingMetrics } from '../../../src/observability/serving-metrics.js';
import { CITED_SOURCES_LOG } from '../../../src/shared/logs.js';
import {
  METRICS_NAMESPACE,
  MetricName,
  PIPELINE_STAGES,
  serviceNameFor,
} from '../../../src/shared/metrics.js';
import { flatten, logicalIdAt, stageTemplates } from '../support/stage-app.js';

// Compile-time check: the shared list of `Stage` dimension values is exactly what the pipeline times.
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _pipelineStagesMatch: SameSet<(typeof PIPELINE_STAGES)[number], TimedStage> = true;

/** AWS metrics the alarms may watch besides the handler's own: what Lambda and API Gateway report about ours. */
const AWS_METRICS_WATCHED = ['AWS/Lambda Errors', 'AWS/Lambda Throttles'];
const GATEWAY_METRICS_WATCHED = [
  'AWS/ApiGateway 5XXError',
  'AWS/ApiGateway 4XXError',
  'AWS/ApiGateway Count',
  'AWS/ApiGateway Latency',
];

interface EmittedMetric {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * What the handler's metrics code really writes: drives ServingMetrics through a success, a
 * quota 429, a 503, a misconfigured backend, a stream that failed after its headers and an answer with a guardrail intervention and every pipeline stage timed,
 * plus the cold-start metric the middleware captures, and reads back the EMF documents.
 */
function emittedHandlerMetrics(serviceName: string): Map<string, EmittedMetric> {
  const settings = {
    POWERTOOLS_SERVICE_NAME: serviceName, // as the stack configures the function
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_DEV: 'true', // print through the global console, which the spy sees
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', // Powertools counts cold starts of on-demand environments only
  };
  const previous = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    const metrics = new ServingMetrics();
    const answer: Answer = {
      response: 'r',
      sessionId: 's',
      sources: [],
      usage: { inputTokens: 10, outputTokens: 5 },
      guardrail: { action: 'INTERVENED' },
      trace: {
        retrievalQuestion: 'q',
        retrieved: [{ id: 'c1', score: 1 }],
        timingsMs: { ...Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage, 1])), total: 9 },
      },
    };
    metrics.recordResponse({ statusCode: 200, latencyMs: 12 });
    metrics.recordResponse({ statusCode: 429, latencyMs: 2 });
    metrics.recordResponse({ statusCode: 503, latencyMs: 30 });
    metrics.recordResponse({ statusCode: 500, latencyMs: 30, misconfigured: true });
    metrics.recordResponse({ statusCode: 200, latencyMs: 900, firstByteMs: 80, failedAfterHeaders: true });
    metrics.recordAnswer(answer);
    metrics.metrics.captureColdStartMetric('rag-serving-function');
    metrics.metrics.publishStoredMetrics();
  } finally {
    spy.mockRestore();
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  const emitted = new Map<string, EmittedMetric>();
  for (const line of lines) {
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const { Name } of directive.Metrics) {
        const dimensions = Object.fromEntries(
          directive.Dimensions.flat().map((d) => [d, String(document[d])]),
        );
        const key = `${directive.Namespace} ${Name} ${Object.keys(dimensions).sort().join(',')}`;
        emitted.set(key, { namespace: directive.Namespace, dimensions });
      }
    }
  }
  return emitted;
}

interface AlarmMetric {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: { Name: string; Value: unknown }[];
}

/** Every metric an alarm reads: its own, or each one inside its metric-math `Metrics`. */
function alarmMetrics(alarm: Record<string, unknown>): AlarmMetric[] {
  if (Array.isArray(alarm.Metrics)) {
    return (alarm.Metrics as { MetricStat?: { Metric: AlarmMetric } }[])
      .filter((m) => m.MetricStat)
      .map((m) => m.MetricStat!.Metric);
  }
  return [alarm as unknown as AlarmMetric];
}

const STAGES: StageName[] = ['dev', 'qa', 'prod'];

describe('Alarms', () => {
  const emitted = emittedHandlerMetrics(serviceNameFor('dev'));

  it('captures the handler metrics from what the metrics code writes', () => {
    // Assess: the capture itself must see the handler's metrics, or the checks below prove nothing.
    expect([...emitted.keys()]).toEqual(
      expect.arrayContaining([
        `${METRICS_NAMESPACE} ${MetricName.requests} service`,
        `${METRICS_NAMESPACE} ${MetricName.throttled} service`,
        `${METRICS_NAMESPACE} ${MetricName.backendMisconfigured} service`,
        `${METRICS_NAMESPACE} ${MetricName.streamTimeToFirstByte} service`,
        `${METRICS_NAMESPACE} ${MetricName.stageLatency} Stage,service`,
        `${METRICS_NAMESPACE} ${MetricName.coldStart} function_name,service`,
      ]),
    );
  });

  it.each(STAGES)(
    'on %s, watch only metrics the handler emits or that Lambda reports for our functions',
    (stage) => {
      // Prepare
      const { serving } = stageTemplates(stage);
      const functionIds = ['Invocations', 'Authorizer'].map((name) =>
        logicalIdAt(serving, 'AWS::Lambda::Function', `${name}/Bundled/Function/Resource`),
      );
      const stageId = logicalIdAt(
        serving,
        'AWS::ApiGateway::Stage',
        'Api/Api/DeploymentStage.' + stage + '/Resource',
      );

      // Act
      const alarms = Object.values(serving.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      const watched = alarms.flatMap(alarmMetrics);

      // Assess
      expect(alarms).toHaveLength(stage === 'prod' ? 13 : 12);
      // Three alarms are rates: two metrics each.
      expect(watched).toHaveLength(alarms.length + 3);
      for (const metric of watched) {
        const dimensionNames = metric.Dimensions.map((d) => d.Name).sort();
        if (metric.Namespace === METRICS_NAMESPACE) {
          expect(Object.values(MetricName)).toContain(metric.MetricName);
          const key = `${metric.Namespace} ${metric.MetricName} ${dimensionNames.join(',')}`;
          expect(emitted.get(key), `emitted ${key}`).toBeDefined();
          // The stage's own service name: two stages in one account never watch each other.
          const service = emittedHandlerMetrics(serviceNameFor(stage)).get(key)!.dimensions.service;
          expect(service).toBe(serviceNameFor(stage));
          expect(metric.Dimensions).toEqual([{ Name: 'service', Value: service }]);
        } else if (metric.Namespace === 'AWS/ApiGateway') {
          // This stage of this API: the REST API's name and the stage's name.
          expect(GATEWAY_METRICS_WATCHED).toContain(`${metric.Namespace} ${metric.MetricName}`);
          expect(metric.Dimensions).toEqual([
            { Name: 'ApiName', Value: expect.anything() },
            { Name: 'Stage', Value: { Ref: stageId } },
          ]);
        } else if (metric.MetricName === 'ProvisionedConcurrencySpilloverInvocations') {
          // Only prod has provisioned concurrency: its live alias.
          expect(stage).toBe('prod');
          expect(metric.Dimensions.map((d) => d.Name)).toEqual(['FunctionName', 'Resource']);
        } else {
          expect(AWS_METRICS_WATCHED).toContain(`${metric.Namespace} ${metric.MetricName}`);
          expect(metric.Dimensions).toHaveLength(1);
          expect(functionIds.map((id) => ({ Name: 'FunctionName', Value: { Ref: id } }))).toContainEqual(
            metric.Dimensions[0],
          );
        }
      }
    },
  );

  it.each(STAGES)('on %s, send every alarm and its recovery to the stage topic', (stage) => {
    // Prepare
    const { serving } = stageTemplates(stage);
    const topic = { Ref: logicalIdAt(serving, 'AWS::SNS::Topic', 'AlarmTopic/Topic/Resource') };

    // Act
    const alarms = Object.values(serving.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

    // Assess
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
      expect(alarm.AlarmName).toMatch(new RegExp(`^rag-serving-${stage}-`));
    }
  });

  it('alarms on the 5xx rate as a percentage of requests, not on a raw count', () => {
    // Prepare
    const { serving, built } = stageTemplates('prod');
    const { alarms } = built.config;

    // Act
    const rate = Object.values(serving.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .find((a) => String(a.AlarmName).endsWith('server-error-rate'))!;

    // Assess
    expect(rate).toMatchObject({
      Threshold: alarms.serverErrorRatePercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: alarms.evaluationPeriods,
      DatapointsToAlarm: alarms.datapointsToAlarm,
      TreatMissingData: 'notBreaching',
    });
    const metrics = rate.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: AlarmMetric; Stat: string; Period: number };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('errors / requests * 100');
    expect(
      Object.fromEntries(
        metrics
          .filter((m) => m.MetricStat)
          .map((m) => [m.Id, [m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat, m.MetricStat!.Period]]),
      ),
    ).toEqual({
      errors: [MetricName.serverErrors, 'Sum', alarms.periodMinutes * 60],
      requests: [MetricName.requests, 'Sum', alarms.periodMinutes * 60],
    });
  });

  it('alarms on p99 of the handler latency', () => {
    // Prepare
    const { serving, built } = stageTemplates('qa');

    // Act
    const latency = Object.values(serving.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .find((a) => a.MetricName === MetricName.requestLatency)!;

    // Assess
    expect(latency).toMatchObject({ ExtendedStatistic: 'p99', Threshold: built.config.alarms.p99LatencyMs });
  });
});

describe('Alarm topic', () => {
  it('encrypts the topic with a rotated customer key that CloudWatch alarms of this account may use', () => {
    // Prepare
    const { serving } = stageTemplates('dev');
    const keyId = logicalIdAt(serving, 'AWS::KMS::Key', 'AlarmTopic/Key/Resource');

    // Act
    const key = serving.findResources('AWS::KMS::Key')[keyId]!.Properties;

    // Assess
    serving.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      TopicName: 'rag-serving-dev-alarms',
    });
    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Sid: 'CloudWatchAlarmsPublish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    serving.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Sid: 'CloudWatchAlarmsPublish', Action: 'sns:Publish', Effect: 'Allow' }),
        ]),
      },
    });
    serving.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes the configured e-mail addresses', () => {
    // Prepare
    const stack = new Stack(new App(), 'Topic');

    // Act
    new AlarmTopic(stack, 'AlarmTopic', { emailSubscribers: ['oncall@example.com', 'lead@example.com'] });

    // Assess
    const subscriptions = Template.fromStack(stack).findResources('AWS::SNS::Subscription');
    expect(Object.values(subscriptions).map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'lead@example.com'],
    ]);
  });
});

describe('Dashboard', () => {
  const emitted = emittedHandlerMetrics(serviceNameFor('dev'));

  it.each(STAGES)('gives %s a dashboard of handler metrics the code emits', (stage) => {
    // Prepare
    const { serving } = stageTemplates(stage);

    // Act
    const dashboard = Object.values(serving.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties;
    const body = JSON.parse(flatten(dashboard.DashboardBody)) as {
      widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; query?: string } }[];
    };

    // Assess
    expect(dashboard.DashboardName).toBe(`rag-serving-${stage}`);
    const handlerSeries = body.widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === METRICS_NAMESPACE);
    for (const series of handlerSeries) expect(series).toContain(serviceNameFor(stage));
    const handlerMetrics = handlerSeries.map((m) => {
      const dimensionNames = m.slice(2).filter((_, i) => i % 2 === 0 && typeof m[i + 2] === 'string');
      return `${String(m[0])} ${String(m[1])} ${dimensionNames.sort().join(',')}`;
    });
    expect(new Set(handlerMetrics)).toEqual(
      new Set([
        ...[
          MetricName.requests,
          MetricName.clientErrors,
          MetricName.serverErrors,
          MetricName.requestLatency,
          MetricName.streamTimeToFirstByte,
          MetricName.streamDuration,
          MetricName.backendMisconfigured,
          MetricName.inputTokens,
          MetricName.outputTokens,
          MetricName.guardrailInterventions,
          MetricName.retrievalHits,
          MetricName.throttled,
        ].map((name) => `${METRICS_NAMESPACE} ${name} service`),
        `${METRICS_NAMESPACE} ${MetricName.stageLatency} Stage,service`,
        `${METRICS_NAMESPACE} ${MetricName.coldStart} function_name,service`,
      ]),
    );
    for (const key of handlerMetrics) expect(emitted.get(key), `emitted ${key}`).toBeDefined();
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Requests',
        'Latency (ms)',
        'Tokens',
        'Guardrail interventions',
        'Most cited documents',
      ]),
    );
  });

  it('ranks the most cited documents from the handler log lines, in the invocations log group', () => {
    // Prepare
    const { serving } = stageTemplates('prod');
    const logGroupId = logicalIdAt(serving, 'AWS::Logs::LogGroup', 'Invocations/Bundled/LogGroup/Resource');

    // Act
    const dashboard = Object.values(serving.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties;
    const body = JSON.parse(flatten(dashboard.DashboardBody)) as {
      widgets: { type: string; properties: { title?: string; query?: string } }[];
    };
    const query = body.widgets.find((w) => w.properties.title === 'Most cited documents')?.properties.query;

    // Assess
    expect(query).toBe(
      `SOURCE '<Ref:${logGroupId}>' | ` +
        [
          `filter message = '${CITED_SOURCES_LOG.message}'`,
          'fields jsonParse(@message) as entry',
          `unnest entry.${CITED_SOURCES_LOG.field} into source`,
          'stats count(*) as citations by source',
          'sort citations desc',
          'limit 10',
        ].join('\n| '),
    );
  });
});
