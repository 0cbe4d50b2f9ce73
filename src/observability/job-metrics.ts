import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { IngestReport } from '../ingest/ingest-report.js';
import { JOB_DIMENSION, JobMetricName, type JobName } from '../shared/jobs.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../shared/metrics.js';

/** Document counts of an ingestion report, under their metric names. */
export const INGEST_METRICS: ReadonlyArray<readonly [keyof IngestReport, string]> = [
  ['seen', JobMetricName.documentsSeen],
  ['added', JobMetricName.documentsAdded],
  ['updated', JobMetricName.documentsUpdated],
  ['deleted', JobMetricName.documentsDeleted],
  ['failed', JobMetricName.documentsFailed],
  ['skipped', JobMetricName.documentsSkipped],
  ['chunksWritten', JobMetricName.chunksWritten],
  ['embeddingTokens', JobMetricName.embeddingTokens],
];

/** Line counts of a batch-answers run, under their metric names. */
export const BATCH_METRICS: ReadonlyArray<readonly [string, string]> = [
  ['answered', JobMetricName.batchLinesAnswered],
  ['failed', JobMetricName.batchLinesFailed],
];

/**
 * The jobs' metrics (names from `src/shared/jobs.ts`, which the alarms and the dashboard use too),
 * with the dimensions `service` (the stage) and `Job`.
 */
export class JobMetrics {
  readonly metrics: Metrics;

  /**
   * Without `metrics`, a long-lived instance whose every metric carries the Job dimension; with
   * `metrics` (shared by several jobs, like the run report's), the dimension is added for this
   * invocation only (Powertools clears added dimensions when it publishes).
   */
  constructor(job: JobName, metrics?: Metrics) {
    const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;
    if (metrics) {
      this.metrics = metrics;
      this.metrics.addDimension(JOB_DIMENSION, job);
    } else {
      this.metrics = new Metrics({
        namespace: METRICS_NAMESPACE,
        serviceName,
        defaultDimensions: { [JOB_DIMENSION]: job },
      });
    }
  }

  /** Counts under the given names (a run's totals, or one incremental update's). */
  recordCounts(
    counts: Readonly<Record<string, number>>,
    names: ReadonlyArray<readonly [string, string]>,
  ): void {
    for (const [key, metric] of names) this.metrics.addMetric(metric, MetricUnit.Count, counts[key] ?? 0);
  }

  recordRun(succeeded: boolean, durationMs: number): void {
    this.metrics.addMetric(JobMetricName.runsSucceeded, MetricUnit.Count, succeeded ? 1 : 0);
    this.metrics.addMetric(JobMetricName.runsFailed, MetricUnit.Count, succeeded ? 0 : 1);
    this.metrics.addMetric(JobMetricName.runDuration, MetricUnit.Milliseconds, durationMs);
  }
}
