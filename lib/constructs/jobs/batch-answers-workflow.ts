import type { RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_INPUT_SUFFIX, JobStep } from '../../../src/shared/jobs.js';
import { JobStateMachine, RUN_ID, jobTask } from './job-state-machine.js';

export interface BatchAnswersWorkflowProps {
  readonly stateMachineName: string;
  readonly bucket: s3.IBucket;
  /** A `.jsonl` object created under this prefix starts a run. */
  readonly batchPrefix: string;
  /** Where the plan, the parts and the map results go (expired by the bucket's lifecycle). */
  readonly workPrefix: string;
  /** Plans, answers ranges of lines and combines the parts. */
  readonly batchFunction: lambda.IFunction;
  readonly report: lambda.IFunction;
  /** Ranges of lines answered at once. */
  readonly mapConcurrency: number;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * Batch answers for a JSON Lines file dropped under the batch prefix (an EventBridge rule on the
 * bucket's Object Created events): the file is split into ranges of lines, a distributed map
 * answers `mapConcurrency` ranges at a time through the serving pipeline into part files, and the
 * parts are joined in order into `<file>.out` beside it (which, not ending in `.jsonl`, starts no
 * run of its own). Each line of the output answers the same line of the input.
 */
export class BatchAnswersWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: BatchAnswersWorkflowProps) {
    super(scope, id);
    const file = { bucket: sfn.JsonPath.stringAt('$.bucket'), key: sfn.JsonPath.stringAt('$.key') };
    const machine = new JobStateMachine(this, 'Run', {
      stateMachineName: props.stateMachineName,
      job: 'batch-answers',
      report: props.report,
      reportFields: { bucket: '$.bucket', key: '$.key' },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      work: (onFailure) => {
        const plan = jobTask(
          this,
          'PlanBatch',
          props.batchFunction,
          { step: JobStep.planBatch, runId: RUN_ID, ...file },
          {
            resultSelector: { 'planKey.$': '$.Payload.planKey', 'ranges.$': '$.Payload.ranges' },
            resultPath: '$.plan',
          },
        );
        const answerRange = jobTask(
          this,
          'AnswerRange',
          props.batchFunction,
          {
            step: JobStep.answerRange,
            runId: sfn.JsonPath.stringAt('$.runId'),
            bucket: sfn.JsonPath.stringAt('$.bucket'),
            key: sfn.JsonPath.stringAt('$.key'),
            range: sfn.JsonPath.objectAt('$.range'),
          },
          { resultSelector: { 'lines.$': '$.Payload.lines' } },
        );
        const answerRanges = new sfn.DistributedMap(this, 'AnswerRanges', {
          itemReader: new sfn.S3JsonItemReader({
            bucket: props.bucket,
            key: sfn.JsonPath.stringAt('$.plan.planKey'),
          }),
          itemSelector: {
            runId: RUN_ID,
            bucket: sfn.JsonPath.stringAt('$.bucket'),
            key: sfn.JsonPath.stringAt('$.key'),
            range: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
          },
          maxConcurrency: props.mapConcurrency,
          resultWriterV2: new sfn.ResultWriterV2({
            bucket: props.bucket,
            prefix: `${props.workPrefix}batch-runs`,
          }),
          resultPath: sfn.JsonPath.DISCARD,
        });
        answerRanges.itemProcessor(answerRange);
        const combine = jobTask(
          this,
          'CombineParts',
          props.batchFunction,
          {
            step: JobStep.combineParts,
            runId: RUN_ID,
            ...file,
            ranges: sfn.JsonPath.numberAt('$.plan.ranges'),
          },
          { resultPath: sfn.JsonPath.DISCARD },
        );
        for (const state of [plan, answerRanges, combine]) onFailure(state);
        return plan.next(answerRanges).next(combine);
      },
    });
    this.stateMachine = machine.stateMachine;

    this.rule = new events.Rule(this, 'OnBatchFile', {
      description: `Answers each ${BATCH_INPUT_SUFFIX} file created under ${props.batchPrefix}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: events.Match.wildcard(`${props.batchPrefix}*${BATCH_INPUT_SUFFIX}`) },
        },
      },
      targets: [
        new eventTargets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
          }),
          retryAttempts: 3,
        }),
      ],
    });
  }
}
