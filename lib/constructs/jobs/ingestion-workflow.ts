import { TimeZone, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { JobStep } from '../../../src/shared/jobs.js';
import { JobStateMachine, RUN_ID, jobTask } from './job-state-machine.js';

export interface IngestionWorkflowProps {
  readonly stateMachineName: string;
  readonly bucket: s3.IBucket;
  readonly documentsPrefix: string;
  /** Where the map writes its results (expired by the bucket's lifecycle). */
  readonly workPrefix: string;
  /** Indexes batches of documents and prunes removed ones. */
  readonly worker: lambda.IFunction;
  readonly report: lambda.IFunction;
  /** Batches indexed at once: the run's share of the Bedrock and Pinecone quotas. */
  readonly mapConcurrency: number;
  readonly documentsPerBatch: number;
  /** An EventBridge Scheduler expression, or `off`. */
  readonly schedule: string;
  readonly scheduleTimeZone: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The full reconcile of the documents bucket: a distributed map over the S3 listing of the
 * documents prefix, batches of documents indexed `mapConcurrency` at a time, then the chunks of
 * documents the bucket no longer has are removed, and the run is reported. Started by the schedule
 * from stage config, or on demand (`npm run ingest -- --stage <stage> --remote`).
 */
export class IngestionWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: IngestionWorkflowProps) {
    super(scope, id);
    const machine = new JobStateMachine(this, 'Run', {
      stateMachineName: props.stateMachineName,
      job: 'ingestion',
      report: props.report,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      work: (onFailure) => {
        const indexBatch = jobTask(
          this,
          'IndexBatch',
          props.worker,
          {
            step: JobStep.indexDocuments,
            runId: sfn.JsonPath.stringAt('$.BatchInput.runId'),
            items: sfn.JsonPath.listAt('$.Items'),
          },
          // Keep each child's result small: the counts go to the run's item in the jobs table.
          { resultSelector: { 'documents.$': '$.Payload.seen' } },
        );
        const indexDocuments = new sfn.DistributedMap(this, 'IndexDocuments', {
          itemReader: new sfn.S3ObjectsItemReader({ bucket: props.bucket, prefix: props.documentsPrefix }),
          itemBatcher: new sfn.ItemBatcher({
            maxItemsPerBatch: props.documentsPerBatch,
            // BatchInput takes paths with the `.$` suffix; CDK does not render JsonPath tokens here.
            batchInput: { 'runId.$': '$$.Execution.Name' },
          }),
          maxConcurrency: props.mapConcurrency,
          resultWriterV2: new sfn.ResultWriterV2({
            bucket: props.bucket,
            prefix: `${props.workPrefix}ingestion-runs`,
          }),
          resultPath: sfn.JsonPath.DISCARD,
        });
        indexDocuments.itemProcessor(indexBatch);
        const prune = jobTask(
          this,
          'PruneRemoved',
          props.worker,
          { step: JobStep.pruneRemoved, runId: RUN_ID },
          { resultPath: sfn.JsonPath.DISCARD },
        );
        onFailure(indexDocuments);
        onFailure(prune);
        return indexDocuments.next(prune);
      },
    });
    this.stateMachine = machine.stateMachine;

    if (props.schedule !== 'off') {
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        description: `Full reconcile of the documents in ${props.documentsPrefix}`,
        schedule: scheduler.ScheduleExpression.expression(
          props.schedule,
          TimeZone.of(props.scheduleTimeZone),
        ),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        }),
      });
    }
  }
}
