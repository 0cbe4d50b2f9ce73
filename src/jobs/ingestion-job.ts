import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import type { DynamoRunCounters } from '../adapters/dynamodb/run-counters.js';
import { etagVersion, type S3DocumentSource } from '../adapters/s3/s3-document-source.js';
import type { IngestTarget } from '../ingest/checkpoint-writer.js';
import type { IngestReport } from '../ingest/ingest-report.js';
import { applyChanges, pruneRemoved, type DocumentChange } from '../ingest/ingestion.js';
import type { IncrementalManifest } from '../ingest/manifest/document-manifest.js';
import { INGEST_METRICS, type JobMetrics } from '../observability/job-metrics.js';
import { JobStep } from '../shared/jobs.js';

/** What the ingestion function works with, built once per container. */
export interface IngestionJobServices {
  readonly target: IngestTarget;
  readonly source: S3DocumentSource;
  readonly sourceName: string;
  readonly manifest: IncrementalManifest;
  readonly maxDocumentBytes: number;
  readonly runs: Pick<DynamoRunCounters, 'add'>;
  readonly metrics: JobMetrics;
  readonly logger: Logger;
}

/** An event the function does not know: a deployment mistake, not something to retry. */
export class UnknownJobEventError extends Error {
  constructor(detail: string) {
    super(`The ingestion function received an event it does not handle: ${detail}.`);
    this.name = new.target.name;
  }
}

/** One object of the distributed map's S3 listing (ItemReader ListObjectsV2). */
const listedObject = z.object({ Key: z.string(), Size: z.number(), Etag: z.optional(z.string()) });
const indexDocumentsEvent = z.object({
  step: z.literal(JobStep.indexDocuments),
  runId: z.string(),
  items: z.array(listedObject),
});
const pruneRemovedEvent = z.object({ step: z.literal(JobStep.pruneRemoved), runId: z.string() });
const s3Notification = z.object({
  Records: z.optional(z.array(z.object({ s3: z.object({ object: z.object({ key: z.string() }) }) }))),
});

/**
 * The ingestion function: S3 events through SQS (incremental updates: each named document is
 * looked up in the bucket, so events that arrive late or out of order still leave the index as
 * the bucket is), and the reconcile run's steps (a batch of listed documents, the final prune).
 */
export async function handleIngestionEvent(
  event: unknown,
  services: IngestionJobServices,
): Promise<SQSBatchResponse | { seen: number } | { deleted: number }> {
  if (isSqsEvent(event)) return onDocumentEvents(event, services);
  const indexStep = indexDocumentsEvent.safeParse(event);
  if (indexStep.success) {
    const { runId, items } = indexStep.data;
    const changes: DocumentChange[] = [];
    for (const item of items) {
      const path = services.source.pathOf(item.Key);
      if (path !== undefined)
        changes.push({ path, listed: { path, size: item.Size, version: etagVersion(item.Etag) } });
    }
    const report = await applyChanges({ ...common(services), changes });
    await services.runs.add(runId, countsOf(report), problemsOf(report));
    services.logger.info('ingestion batch', { runId, ...summaryOf(report) });
    return { seen: report.seen };
  }
  const pruneStep = pruneRemovedEvent.safeParse(event);
  if (pruneStep.success) {
    const report = await pruneRemoved({ ...common(services), manifest: services.manifest });
    await services.runs.add(pruneStep.data.runId, countsOf(report));
    services.logger.info('ingestion prune', { runId: pruneStep.data.runId, ...summaryOf(report) });
    return { deleted: report.deleted };
  }
  throw new UnknownJobEventError(describeEvent(event));
}

async function onDocumentEvents(event: SQSEvent, services: IngestionJobServices): Promise<SQSBatchResponse> {
  const changes: DocumentChange[] = [];
  for (const record of event.Records) {
    for (const key of objectKeys(record.body)) {
      const path = services.source.pathOf(key);
      // The object is looked up, not taken from the event: created or removed, the bucket decides.
      if (path !== undefined) changes.push({ path });
    }
  }
  if (changes.length === 0) return { batchItemFailures: [] };
  try {
    const report = await applyChanges({ ...common(services), changes });
    services.metrics.recordCounts(countsOf(report), INGEST_METRICS);
    services.logger.info('ingestion update', { trigger: 's3-events', ...summaryOf(report) });
    return { batchItemFailures: [] };
  } catch (error) {
    // Backend down or throttled: every message goes back to the queue, and to the DLQ after its retries.
    services.logger.error('ingestion update failed', { error, documents: changes.length });
    return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
  }
}

function common(services: IngestionJobServices) {
  return {
    ...services.target,
    source: services.source,
    sourceName: services.sourceName,
    manifest: services.manifest,
    maxDocumentBytes: services.maxDocumentBytes,
    // Titan embeds one text per call: fewer, fuller batches keep the run within Bedrock's quotas.
    concurrency: 1,
  };
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as SQSEvent | undefined)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === 'aws:sqs');
}

/** Keys of an S3 notification (URL-encoded, spaces as `+`); S3's test event names none. */
function objectKeys(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const notification = s3Notification.safeParse(parsed);
  if (!notification.success) return [];
  return (notification.data.Records ?? []).map((record) =>
    decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
  );
}

function countsOf(report: IngestReport): Record<string, number> {
  return Object.fromEntries(
    Object.entries(report).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number' && entry[0] !== 'seconds',
    ),
  );
}

const problemsOf = (report: IngestReport): string[] =>
  [...report.failures, ...report.skippedDocuments].map(({ path, reason }) => `${path}: ${reason}`);

function summaryOf(report: IngestReport) {
  return { ...countsOf(report), seconds: report.seconds, failures: report.failures.slice(0, 10) };
}

function describeEvent(event: unknown): string {
  if (event && typeof event === 'object') return `keys ${Object.keys(event).join(', ') || '(none)'}`;
  return typeof event;
}
