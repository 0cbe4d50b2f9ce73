import { Readable } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import type { DynamoRunCounters } from '../adapters/dynamodb/run-counters.js';
import { answerLines } from '../batch/answer-lines.js';
import type { BatchJobConfig } from '../config/jobs-config.js';
import type { RagPipeline } from '../core/pipeline.js';
import { BATCH_INPUT_SUFFIX, BATCH_OUTPUT_SUFFIX, JobStep } from '../shared/jobs.js';

/** What the batch-answers function works with, built once per container. */
export interface BatchJobServices {
  readonly config: BatchJobConfig;
  readonly pipeline: Pick<RagPipeline, 'answer'>;
  readonly s3: S3Client;
  /** Time budget of one line (the serving request budget). */
  readonly lineTimeoutMs: number;
  readonly runs: Pick<DynamoRunCounters, 'add'>;
  readonly logger: Logger;
}

/** A range of whole lines of the batch file: bytes `start`–`end` (inclusive), `lines` lines from `firstLine`. */
export interface LineRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstLine: number;
  readonly lines: number;
}

/** The file cannot be a batch input (wrong bucket, prefix or suffix): no retry helps. */
export class BatchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const file = { runId: z.string(), bucket: z.string(), key: z.string() };
const planEvent = z.object({ step: z.literal(JobStep.planBatch), ...file });
const range = z.object({
  index: z.number(),
  start: z.number(),
  end: z.number(),
  firstLine: z.number(),
  lines: z.number(),
});
const answerEvent = z.object({ step: z.literal(JobStep.answerRange), ...file, range });
const combineEvent = z.object({ step: z.literal(JobStep.combineParts), ...file, ranges: z.number() });

/**
 * The batch-answers function, one step of a run per call: plan (split the file into ranges of
 * lines), answer a range (into a part file), combine the parts (into `<file>.out`). Only ranges
 * and parts pass through memory, never the whole file.
 */
export async function handleBatchEvent(event: unknown, services: BatchJobServices): Promise<unknown> {
  const plan = planEvent.safeParse(event);
  if (plan.success) return planBatch(plan.data, services);
  const answer = answerEvent.safeParse(event);
  if (answer.success) return answerRange(answer.data, services);
  const combine = combineEvent.safeParse(event);
  if (combine.success) return combineParts(combine.data, services);
  throw new BatchInputError('The batch-answers function received an event it does not handle.');
}

const runFolder = (services: BatchJobServices, runId: string) => `${services.config.workPrefix}${runId}/`;
const partKey = (services: BatchJobServices, runId: string, index: number) =>
  `${runFolder(services, runId)}part-${String(index).padStart(6, '0')}.jsonl`;

function assertBatchFile(bucket: string, key: string, config: BatchJobConfig): void {
  if (
    bucket !== config.documentsBucket ||
    !key.startsWith(config.batchPrefix) ||
    !key.endsWith(BATCH_INPUT_SUFFIX)
  ) {
    throw new BatchInputError(
      `s3://${bucket}/${key} is not a batch file: put a ${BATCH_INPUT_SUFFIX} file under s3://${config.documentsBucket}/${config.batchPrefix}.`,
    );
  }
}

async function planBatch(event: z.infer<typeof planEvent>, services: BatchJobServices) {
  const { runId, bucket, key } = event;
  assertBatchFile(bucket, key, services.config);
  const object = await services.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const ranges: LineRange[] = [];
  const perRange = services.config.linesPerRange;
  let offset = 0;
  let rangeStart = 0;
  let linesInRange = 0;
  let lines = 0;
  let lastByte = 0x0a;
  for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0x0a) continue;
      linesInRange++;
      lines++;
      if (linesInRange === perRange) {
        ranges.push({
          index: ranges.length,
          start: rangeStart,
          end: offset + i,
          firstLine: lines - linesInRange + 1,
          lines: linesInRange,
        });
        rangeStart = offset + i + 1;
        linesInRange = 0;
      }
    }
    offset += chunk.length;
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1] as number;
  }
  // A last line without a newline is a line too.
  if (lastByte !== 0x0a) {
    linesInRange++;
    lines++;
  }
  if (linesInRange > 0) {
    ranges.push({
      index: ranges.length,
      start: rangeStart,
      end: offset - 1,
      firstLine: lines - linesInRange + 1,
      lines: linesInRange,
    });
  }
  const planKey = `${runFolder(services, runId)}plan.json`;
  await services.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: planKey,
      Body: JSON.stringify(ranges),
      ContentType: 'application/json',
    }),
  );
  await services.runs.add(runId, { lines });
  services.logger.info('batch planned', {
    runId,
    input: `s3://${bucket}/${key}`,
    lines,
    ranges: ranges.length,
  });
  return { planKey, ranges: ranges.length, lines };
}

async function answerRange(event: z.infer<typeof answerEvent>, services: BatchJobServices) {
  const { runId, bucket, key, range: part } = event;
  assertBatchFile(bucket, key, services.config);
  const object = await services.s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${part.start}-${part.end}` }),
  );
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const counts = { answered: 0, failed: 0, inputTokens: 0, outputTokens: 0 };
  const out: string[] = [];
  for await (const line of answerLines(Readable.from(lines), {
    pipeline: services.pipeline,
    principal: services.config.principal,
    concurrency: services.config.lineConcurrency,
    lineTimeoutMs: services.lineTimeoutMs,
    firstLineNumber: part.firstLine,
    onLine: (outcome) => {
      counts[outcome.ok ? 'answered' : 'failed']++;
      counts.inputTokens += outcome.inputTokens;
      counts.outputTokens += outcome.outputTokens;
    },
    onInternalError: (lineNumber, error) =>
      services.logger.error('batch line failed', { runId, lineNumber, error }),
  })) {
    out.push(line);
  }
  await services.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: partKey(services, runId, part.index),
      Body: out.length > 0 ? `${out.join('\n')}\n` : '',
      ContentType: 'application/x-ndjson',
    }),
  );
  await services.runs.add(runId, counts);
  services.logger.info('batch range answered', { runId, range: part.index, ...counts });
  return { lines: out.length };
}

async function combineParts(event: z.infer<typeof combineEvent>, services: BatchJobServices) {
  const { runId, bucket, key, ranges } = event;
  assertBatchFile(bucket, key, services.config);
  const folder = runFolder(services, runId);
  const parts: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await services.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${folder}part-`,
        ...(token && { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) parts.push({ key: object.Key ?? '', size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  parts.sort((a, b) => (a.key < b.key ? -1 : 1));
  if (parts.length !== ranges) {
    throw new Error(
      `Found ${parts.length} answered ranges of ${ranges} for run ${runId}; the run cannot be combined.`,
    );
  }
  const s3 = services.s3;
  // The parts one after the other, streamed: the output is never held whole.
  const body = Readable.from(
    (async function* () {
      for (const part of parts) {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: part.key }));
        yield* object.Body as AsyncIterable<Uint8Array>;
      }
    })(),
  );
  const outputKey = `${key}${BATCH_OUTPUT_SUFFIX}`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: outputKey,
      Body: body,
      ContentLength: parts.reduce((sum, part) => sum + part.size, 0),
      ContentType: 'application/x-ndjson',
    }),
  );
  const workFiles = [...parts.map((part) => part.key), `${folder}plan.json`];
  for (let start = 0; start < workFiles.length; start += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: workFiles.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  services.logger.info('batch combined', { runId, output: `s3://${bucket}/${outputKey}`, ranges });
  return { outputKey };
}
