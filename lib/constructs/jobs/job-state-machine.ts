import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { JobName } from '../../../src/shared/jobs.js';

export interface JobStateMachineProps {
  readonly stateMachineName: string;
  readonly job: JobName;
  /** The run report function: counts, metrics, logs and the notification, on success and failure. */
  readonly report: lambda.IFunction;
  /**
   * The run's work: given a way to route failures to the failure report, returns the chain of
   * states that ends with the successful run (its report follows).
   */
  readonly work: (onFailure: (state: sfn.TaskStateBase | sfn.DistributedMap) => void) => sfn.IChainable;
  /** Extra fields the report gets from the state (e.g. the batch file). @default - none */
  readonly reportFields?: Readonly<Record<string, string>>;
  /** @default Duration.hours(24) */
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The run id every step passes along: the execution's name, unique per state machine. */
export const RUN_ID = sfn.JsonPath.stringAt('$$.Execution.Name');

/** A job function call whose retry covers Lambda's own transient errors and backend outages. */
export function jobTask(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  payload: Record<string, unknown>,
  options: Pick<tasks.LambdaInvokeProps, 'resultSelector' | 'resultPath'> = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(payload),
    retryOnServiceExceptions: true,
    ...options,
  });
  // A backend down or throttling past the function's own retries: wait and try again, a few times.
  task.addRetry({
    errors: ['BackendUnavailableError'],
    interval: Duration.seconds(20),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/**
 * A job's state machine, as a Databricks job run: the work, then a report that counts the run,
 * writes its metrics and log line and notifies, on success as on failure (a failed run still
 * reports, then ends Failed so that its alarm fires). Logs every event (without execution data,
 * which may hold questions) and traces with X-Ray.
 */
export class JobStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobStateMachineProps) {
    super(scope, id);
    const reportPayload = (status: 'SUCCEEDED' | 'FAILED') => ({
      job: props.job,
      runId: RUN_ID,
      status,
      startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      ...Object.fromEntries(
        Object.entries(props.reportFields ?? {}).map(([key, path]) => [key, sfn.JsonPath.stringAt(path)]),
      ),
      ...(status === 'FAILED' && { error: sfn.JsonPath.objectAt('$.error') }),
    });
    const reportFailure = jobTask(this, 'ReportFailure', props.report, reportPayload('FAILED')).next(
      new sfn.Fail(this, 'RunFailed', {
        error: 'JobRunFailed',
        cause: `The ${props.job} run failed; its report says why.`,
      }),
    );
    const onFailure = (state: sfn.TaskStateBase | sfn.DistributedMap) =>
      void state.addCatch(reportFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const reportSuccess = new tasks.LambdaInvoke(this, 'ReportSuccess', {
      lambdaFunction: props.report,
      payload: sfn.TaskInput.fromObject(reportPayload('SUCCEEDED')),
      retryOnServiceExceptions: true,
      outputPath: '$.Payload',
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(
        sfn.Chain.start(props.work(onFailure)).next(reportSuccess),
      ),
      timeout: props.timeout ?? Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
