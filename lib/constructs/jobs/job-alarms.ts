import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface JobAlarmsProps {
  /** The stage's alarm topic: every alarm and its recovery go there. */
  readonly topic: sns.ITopic;
  readonly alarmNamePrefix: string;
  /** Each job's state machine; one failed run raises its alarm. */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;
  /** Messages here are S3 events the ingestion function failed on repeatedly. */
  readonly deadLetterQueue: sqs.IQueue;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * The jobs' alarms, to the stage's alarm topic (DESIGN 5): a failed run of either job, and any
 * message in the ingestion dead-letter queue (documents whose S3 events kept failing; the next
 * scheduled reconcile retries them, but someone should look). Missing data is not breaching:
 * no run, no alarm.
 */
export class JobAlarms extends Construct {
  readonly all: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: JobAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const action = new actions.SnsAction(props.topic);
    const add = (alarmId: string, alarmName: string, description: string, metric: cloudwatch.IMetric) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${props.alarmNamePrefix}-${alarmName}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.all.push(alarm);
    };
    for (const [job, machine] of Object.entries(props.stateMachines)) {
      add(
        `${job}RunFailed`,
        `${job}-run-failed`,
        `A run of the ${job} job failed (or timed out); its report on the jobs topic and the execution say why.`,
        new cloudwatch.MathExpression({
          expression: 'failed + timedOut + aborted',
          usingMetrics: {
            failed: machine.metricFailed({ period, statistic: 'Sum' }),
            timedOut: machine.metricTimedOut({ period, statistic: 'Sum' }),
            aborted: machine.metricAborted({ period, statistic: 'Sum' }),
          },
          period,
          label: `${job} runs failed`,
        }),
      );
    }
    add(
      'DeadLetters',
      'ingestion-dead-letters',
      'S3 events of documents moved to the ingestion dead-letter queue after repeated failures; see the ingestion function logs.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    );
  }
}
