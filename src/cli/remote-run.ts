import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export interface RemoteRunOptions {
  readonly stateMachineArn: string;
  readonly region: string;
  /** Execution input. @default {} */
  readonly input?: Record<string, unknown>;
  /** Wait for the run to end and return its output. */
  readonly wait?: boolean;
  /** How often to ask while waiting. @default 5000 */
  readonly pollMs?: number;
  readonly client?: SFNClient;
}

export interface RemoteRun {
  readonly executionArn: string;
  /** Absent unless waited for: SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
  readonly status?: string;
  /** The run report (the state machine's output), when it succeeded. */
  readonly output?: unknown;
  readonly error?: string;
}

/** Starts a stage's Step Functions job (ingestion or batch answers) and optionally waits for it. */
export async function startRemoteRun(options: RemoteRunOptions): Promise<RemoteRun> {
  const client = options.client ?? new SFNClient({ region: options.region });
  try {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: options.stateMachineArn,
        input: JSON.stringify(options.input ?? {}),
      }),
    );
    if (!executionArn) throw new Error('Step Functions started no execution.');
    if (!options.wait) return { executionArn };
    for (;;) {
      const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
        return {
          executionArn,
          ...(execution.status && { status: execution.status }),
          ...(execution.output && { output: JSON.parse(execution.output) as unknown }),
          ...(execution.error && { error: `${execution.error}: ${execution.cause ?? ''}`.trim() }),
        };
      }
      await sleep(options.pollMs ?? 5000);
    }
  } finally {
    if (!options.client) client.destroy();
  }
}

/** Where to follow an execution in the console. */
export function consoleLink(executionArn: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
