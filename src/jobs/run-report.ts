import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import type { RunCounts } from '../adapters/dynamodb/run-counters.js';
import { BATCH_METRICS, INGEST_METRICS, JobMetrics } from '../observability/job-metrics.js';
import { JOB_NAMES, type JobName } from '../shared/jobs.js';

export interface RunReportServices {
  readonly stage: string;
  readonly runs: { get(runId: string): Promise<RunCounts> };
  /** Sends the notification (SNS on AWS). */
  readonly notify: (subject: string, message: string) => Promise<void>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** How a run ended, as the state machine's output and the notification carry it. */
export interface RunSummary {
  readonly stage: string;
  readonly job: JobName;
  readonly runId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly counts: Readonly<Record<string, number>>;
  /** The first documents or lines with a problem (`path: reason`). */
  readonly problems: readonly string[];
  /** The batch file a batch-answers run answered, and where its answers are. */
  readonly input?: string;
  readonly output?: string;
  /** Why a failed run failed. */
  readonly error?: string;
}

const reportEvent = z.object({
  job: z.enum(JOB_NAMES),
  runId: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  startedAt: z.string(),
  bucket: z.optional(z.string()),
  key: z.optional(z.string()),
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** The event names no known job run: a deployment mistake. */
export class InvalidRunReportEventError extends Error {
  constructor(detail: string) {
    super(`The run report received an event it cannot read: ${detail}.`);
    this.name = new.target.name;
  }
}

const MAX_ERROR_CHARS = 1_000;

/**
 * The last step of every job run, successful or not, as a Databricks job run reports: the run's
 * counts (added up by its parts in the jobs table) and duration become metrics and one INFO log
 * line, and a notification goes to the jobs topic. Its summary is the run's output.
 */
export async function reportRun(event: unknown, services: RunReportServices): Promise<RunSummary> {
  const parsed = reportEvent.safeParse(event);
  if (!parsed.success)
    throw new InvalidRunReportEventError(parsed.error.issues[0]?.message ?? 'unknown shape');
  const { job, runId, status, startedAt, bucket, key, error } = parsed.data;
  const { counts, problems } = await services.runs.get(runId);
  const finished = (services.now ?? Date.now)();
  const durationSeconds = Math.max(0, (finished - Date.parse(startedAt)) / 1000);
  const input = bucket !== undefined && key !== undefined ? `s3://${bucket}/${key}` : undefined;
  const summary: RunSummary = {
    stage: services.stage,
    job,
    runId,
    status,
    startedAt,
    finishedAt: new Date(finished).toISOString(),
    durationSeconds: Math.round(durationSeconds * 10) / 10,
    counts,
    problems,
    ...(input !== undefined && { input }),
    ...(input !== undefined &&
      job === 'batch-answers' &&
      status === 'SUCCEEDED' && { output: `${input}.out` }),
    ...(error && { error: describeError(error) }),
  };

  const metrics = new JobMetrics(job, services.metrics);
  metrics.recordRun(status === 'SUCCEEDED', durationSeconds * 1000);
  metrics.recordCounts(counts, job === 'ingestion' ? INGEST_METRICS : BATCH_METRICS);
  services.logger.info(`${job} run ${status.toLowerCase()}`, { ...summary });
  await services.notify(subjectOf(summary), messageOf(summary));
  return summary;
}

function subjectOf(summary: RunSummary): string {
  return `rag-serving ${summary.stage}: ${summary.job} run ${summary.status === 'SUCCEEDED' ? 'succeeded' : 'FAILED'}`;
}

function messageOf(summary: RunSummary): string {
  const counts = Object.entries(summary.counts)
    .map(([name, value]) => `  ${name}: ${value}`)
    .join('\n');
  return [
    `The ${summary.job} run ${summary.runId} of stage ${summary.stage} ${summary.status === 'SUCCEEDED' ? 'succeeded' : 'failed'} after ${summary.durationSeconds} s.`,
    ...(summary.error ? ['', `Error: ${summary.error}`] : []),
    ...(summary.input ? ['', `Input: ${summary.input}`] : []),
    ...(summary.output ? [`Answers: ${summary.output}`] : []),
    '',
    counts === '' ? 'Nothing was counted.' : `Counts:\n${counts}`,
    ...(summary.problems.length > 0
      ? ['', 'Problems:', ...summary.problems.map((problem) => `  ${problem}`)]
      : []),
    '',
    JSON.stringify(summary),
  ].join('\n');
}

/** A Step Functions error: its name, and the Lambda error's type and message when it was one. */
function describeError(error: { Error?: string | undefined; Cause?: string | undefined }): string {
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    if (parsed.errorMessage !== undefined) cause = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}`;
  } catch {
    // Not a Lambda error: the cause is plain text.
  }
  return `${error.Error ?? 'Error'}${cause ? ` (${cause})` : ''}`.slice(0, MAX_ERROR_CHARS);
}
