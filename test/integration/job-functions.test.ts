import {
  GetQueueAttributesCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { batchServicesFromEnvironment } from '../../functions/batch-answers/composition.js';
import { ingestionServicesFromEnvironment } from '../../functions/ingestion/composition.js';
import { runReportServicesFromEnvironment } from '../../functions/run-report/composition.js';
import { ensureJobsTable } from '../../src/adapters/dynamodb/jobs-table.js';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { handleBatchEvent, type LineRange } from '../../src/jobs/batch-job.js';
import { handleIngestionEvent, UnknownJobEventError } from '../../src/jobs/ingestion-job.js';
import { reportRun } from '../../src/jobs/run-report.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { JobStep } from '../../src/shared/jobs.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { paragraph } from '../support/ingestion.js';
import { MOTO_CLIENT_CONFIG, startMotoServer, type MotoServer } from '../support/moto-server.js';
import { CORRUPT_PDF } from '../support/pdf.js';

/*
 * The job functions' composition roots and handlers, wired as the jobs stack wires them (the same
 * environment variables), against moto (S3, SNS, SQS, Secrets Manager), dynalite, the h2c fake
 * Bedrock and the fake Pinecone. The events are the shapes Step Functions and SQS deliver; the
 * infra tests check that the state machines send exactly these payloads.
 */

const BUCKET = 'rag-serving-test-documents';
const JOBS_TABLE = 'rag-jobs';
const SESSION_TABLE = 'rag-sessions';
const SECRET = 'rag-serving/test/pinecone-api-key';
const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';

let moto: MotoServer;
let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let dynamo: EmbeddedDynamo;
let s3: S3Client;
let sqs: SQSClient;
let topicArn: string;
let notificationsQueue: string;

beforeAll(async () => {
  [moto, bedrock, pinecone, dynamo] = await Promise.all([
    startMotoServer(),
    startFakeBedrock({ answer: () => 'The answer cites the first passage [1].' }),
    startFakePinecone({ dimension: 1024, indexName: 'rag-serving-test' }),
    startEmbeddedDynamo(),
  ]);
  await ensureJobsTable(dynamo.client, JOBS_TABLE);
  await ensureSessionTable(dynamo.client, SESSION_TABLE);
  s3 = new S3Client(moto.clientConfig);
  sqs = new SQSClient(moto.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const secrets = new SecretsManagerClient(moto.clientConfig);
  await secrets.send(new CreateSecretCommand({ Name: SECRET, SecretString: pinecone.apiKey }));
  secrets.destroy();
  // The jobs topic, with a queue subscribed to read what the run report publishes.
  const sns = new SNSClient(moto.clientConfig);
  ({ TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'rag-serving-test-jobs' })));
  ({ QueueUrl: notificationsQueue = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'notifications' }),
  ));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: notificationsQueue, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  sns.destroy();
  for (const [key, body] of [
    ['docs/guide.md', `# Guide\n\n${paragraph('install')}`],
    ['docs/runbooks/rollback plan.md', `# Rollback\n\n${paragraph('rollback')}`],
    ['docs/broken.pdf', CORRUPT_PDF],
    ['docs/logo.png', Buffer.from([0x89, 0x50])],
  ] as const) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
});

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  await Promise.all([moto?.close(), bedrock?.close(), pinecone?.close(), dynamo?.close()]);
});

/** The environment the jobs stack gives each function, pointed at the stand-ins. */
function stageEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    AWS_REGION: MOTO_CLIENT_CONFIG.region,
    AWS_ACCESS_KEY_ID: MOTO_CLIENT_CONFIG.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CLIENT_CONFIG.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_ENDPOINT_URL_SNS: moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    RAG_STAGE: 'test',
    JOBS_TABLE_NAME: JOBS_TABLE,
    DOCUMENTS_BUCKET: BUCKET,
    BEDROCK_ENDPOINT: bedrock.endpoint,
    BEDROCK_EMBEDDING_MODEL_ID: EMBEDDING_MODEL,
    PINECONE_INDEX: 'rag-serving-test',
    PINECONE_HOST: pinecone.host,
    PINECONE_NAMESPACE: 'default',
    PINECONE_API_KEY_SECRET_ID: SECRET,
    PINECONE_CONTROLLER_HOST: pinecone.host,
    SECRETS_MANAGER_ENDPOINT: moto.endpoint,
    ...extra,
  };
}

/**
 * Builds a function's services the way its handler does at init, in the process environment it
 * would have; the environment stays for the test, as SDK clients read region and credentials lazily.
 */
function withEnvironment<T>(environment: NodeJS.ProcessEnv, build: (env: NodeJS.ProcessEnv) => T): T {
  for (const [key, value] of Object.entries(environment)) vi.stubEnv(key, value);
  return build(process.env);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const ingestion = () =>
  withEnvironment(
    stageEnvironment({
      DOCUMENTS_PREFIX: 'docs/',
      INGEST_SOURCE: 'docs',
      INGEST_MAX_DOCUMENT_BYTES: '1048576',
    }),
    ingestionServicesFromEnvironment,
  );

/** The distributed map's items: the S3 listing of the documents prefix, as its ItemReader passes it on. */
async function listedItems() {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'docs/' }));
  return Contents.map((object) => ({
    Etag: object.ETag,
    Key: object.Key,
    LastModified: object.LastModified?.toISOString(),
    Size: object.Size,
    StorageClass: object.StorageClass,
  }));
}

/** An SQS batch of S3 notifications, keys URL-encoded as S3 writes them. */
function s3Events(...records: [eventName: string, key: string][]): SQSEvent {
  return {
    Records: records.map(([eventName, key], i) => ({
      messageId: `m-${i}`,
      eventSource: 'aws:sqs',
      body: JSON.stringify({
        Records: [
          {
            eventName,
            s3: {
              bucket: { name: BUCKET },
              object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/') },
            },
          },
        ],
      }),
    })) as SQSEvent['Records'],
  };
}

const vectorPaths = () => [...new Set(pinecone.vectors('default').map((v) => v.id.split('#')[0]))].sort();

/** The notification the jobs topic delivered about one run. */
async function notificationOf(runId: string): Promise<{ Subject: string; Message: string } | undefined> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: notificationsQueue, MaxNumberOfMessages: 10 }),
  );
  return Messages.map(
    (message) => JSON.parse(message.Body ?? '{}') as { Subject: string; Message: string },
  ).find((notification) => notification.Message.includes(` run ${runId} `));
}

describe('Ingestion function', () => {
  it('runs a reconcile: indexes the listed batches, prunes, and the report counts, logs and notifies', async () => {
    // Prepare
    const services = ingestion();
    const reportServices = withEnvironment(
      stageEnvironment({ JOBS_TOPIC_ARN: topicArn }),
      runReportServicesFromEnvironment,
    );
    const runId = 'run-1';
    const items = await listedItems();
    // Act
    const batches = [
      await handleIngestionEvent({ step: JobStep.indexDocuments, runId, items: items.slice(0, 2) }, services),
      await handleIngestionEvent({ step: JobStep.indexDocuments, runId, items: items.slice(2) }, services),
    ];
    const pruned = await handleIngestionEvent({ step: JobStep.pruneRemoved, runId }, services);
    const summary = await reportRun(
      { job: 'ingestion', runId, status: 'SUCCEEDED', startedAt: new Date(Date.now() - 5_000).toISOString() },
      reportServices,
    );
    // Assess
    expect(batches.reduce((sum, batch) => sum + (batch as { seen: number }).seen, 0)).toBe(3);
    expect(pruned).toEqual({ deleted: 0 });
    expect(vectorPaths()).toEqual(['docs:guide.md', 'docs:runbooks/rollback plan.md']);
    expect(summary).toMatchObject({
      stage: 'test',
      job: 'ingestion',
      status: 'SUCCEEDED',
      counts: expect.objectContaining({ seen: 3, added: 2, failed: 1, chunksWritten: 2 }),
      problems: [expect.stringMatching(/^broken\.pdf: corrupt or unreadable PDF/)],
    });
    expect(summary.counts.embeddingTokens).toBeGreaterThan(0);
    expect(summary.durationSeconds).toBeGreaterThanOrEqual(5);
    const notification = await notificationOf(runId);
    expect(notification?.Subject).toBe('rag-serving test: ingestion run succeeded');
    expect(notification?.Message).toMatch(/^The ingestion run run-1 of stage test succeeded after/);
    expect(notification?.Message).toContain('broken.pdf: corrupt or unreadable PDF');
  });

  it('applies S3 events by looking each object up, whatever the event said', async () => {
    // Prepare
    const services = ingestion();
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'docs/new page.md',
        Body: `# New\n\n${paragraph('newcomer')}`,
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'docs/guide.md' }));
    // Act: a late "created" event for a document that is gone by now, and a test event S3 sends on setup.
    const result = await handleIngestionEvent(
      {
        Records: [
          ...s3Events(['ObjectCreated:Put', 'docs/new page.md'], ['ObjectCreated:Put', 'docs/guide.md'])
            .Records,
          { messageId: 'test', eventSource: 'aws:sqs', body: JSON.stringify({ Event: 's3:TestEvent' }) },
        ],
      } as SQSEvent,
      services,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(vectorPaths()).toEqual(['docs:new page.md', 'docs:runbooks/rollback plan.md']);
  });

  it('hands every message back to the queue when a backend is down, and retries fine later', async () => {
    // Prepare
    const services = ingestion();
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'docs/later.md',
        Body: `# Later\n\n${paragraph('later')}`,
      }),
    );
    pinecone.setFault({ down: true });
    // Act
    const failed = await handleIngestionEvent(
      s3Events(['ObjectCreated:Put', 'docs/later.md'], ['ObjectRemoved:Delete', 'docs/gone.md']),
      services,
    );
    pinecone.setFault({ down: false });
    const retried = await handleIngestionEvent(s3Events(['ObjectCreated:Put', 'docs/later.md']), services);
    // Assess
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }] });
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(vectorPaths()).toContain('docs:later.md');
  });

  it('refuses an event it does not know', async () => {
    // Act & Assess
    await expect(handleIngestionEvent({ step: 'reindex-everything' }, ingestion())).rejects.toThrow(
      UnknownJobEventError,
    );
  });
});

/** The batch-answers function as the stack configures it (the serving settings, then its own), 2 lines per range. */
const batchAnswers = () =>
  withEnvironment(
    stageEnvironment({
      RAG_BACKEND: 'aws',
      SESSION_TABLE_NAME: SESSION_TABLE,
      BEDROCK_GENERATION_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      BEDROCK_GUARDRAIL_ID: 'guardrail1',
      BEDROCK_GUARDRAIL_VERSION: '1',
      BATCH_PREFIX: 'batch/',
      JOBS_WORK_PREFIX: '.jobs/batch/',
      BATCH_LINES_PER_RANGE: '2',
      BATCH_LINE_CONCURRENCY: '2',
    }),
    batchServicesFromEnvironment,
  );

describe('Batch-answers function', () => {
  it('plans, answers the ranges and combines them into <file>.out, one line per input line in order', async () => {
    // Prepare
    const services = await batchAnswers();
    const key = 'batch/questions.jsonl';
    const input = [
      '{"query":"How do I roll back?","session_id":"s1"}',
      'not json',
      '{"query":"And after that?","session_id":"s1"}',
      '{"session_id":"s2"}',
      '{"query":"What is new?"}',
    ];
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: input.join('\n') }));
    const runId = 'batch-run-1';
    // Act
    const plan = (await handleBatchEvent(
      { step: JobStep.planBatch, runId, bucket: BUCKET, key },
      services,
    )) as { planKey: string; ranges: number; lines: number };
    const planObject = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: plan.planKey }));
    const ranges = JSON.parse((await planObject.Body?.transformToString()) ?? '[]') as LineRange[];
    // The map answers ranges in any order.
    for (const range of [...ranges].reverse()) {
      await handleBatchEvent({ step: JobStep.answerRange, runId, bucket: BUCKET, key, range }, services);
    }
    await handleBatchEvent(
      { step: JobStep.combineParts, runId, bucket: BUCKET, key, ranges: plan.ranges },
      services,
    );
    // Assess
    expect(plan).toMatchObject({ ranges: 3, lines: 5 });
    const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${key}.out` }));
    const lines = ((await output.Body?.transformToString()) ?? '').split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({ session_id: 's1', response: 'The answer cites the first passage [1].' }),
      { error_code: 'BAD_REQUEST', message: 'line 2 is not valid JSON.' },
      expect.objectContaining({ session_id: 's1' }),
      { error_code: 'INVALID_PARAMETER_VALUE', message: "line 4 is missing the required field 'query'." },
      expect.objectContaining({ session_id: expect.any(String), sources: expect.any(Array) }),
    ]);
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `.jobs/batch/${runId}/` }),
    );
    expect(Contents).toEqual([]);
    const reportServices = withEnvironment(
      stageEnvironment({ JOBS_TOPIC_ARN: topicArn }),
      runReportServicesFromEnvironment,
    );
    const summary = await reportRun(
      {
        job: 'batch-answers',
        runId,
        status: 'SUCCEEDED',
        startedAt: new Date().toISOString(),
        bucket: BUCKET,
        key,
      },
      reportServices,
    );
    expect(summary).toMatchObject({
      counts: expect.objectContaining({ lines: 5, answered: 3, failed: 2 }),
      output: `s3://${BUCKET}/${key}.out`,
    });
  });

  it('refuses a file outside the batch prefix with a reason', async () => {
    // Prepare
    const services = await batchAnswers();
    // Act & Assess
    await expect(
      handleBatchEvent(
        { step: JobStep.planBatch, runId: 'r', bucket: BUCKET, key: 'docs/guide.md' },
        services,
      ),
    ).rejects.toThrow(
      `s3://${BUCKET}/docs/guide.md is not a batch file: put a .jsonl file under s3://${BUCKET}/batch/.`,
    );
  });
});

describe('Run report', () => {
  it('reports a failed run with the error Step Functions caught, and notifies', async () => {
    // Prepare
    const reportServices = withEnvironment(
      stageEnvironment({ JOBS_TOPIC_ARN: topicArn }),
      runReportServicesFromEnvironment,
    );
    // Act
    const summary = await reportRun(
      {
        job: 'ingestion',
        runId: 'run-failed',
        status: 'FAILED',
        startedAt: new Date().toISOString(),
        error: {
          Error: 'IndexMismatchError',
          Cause: JSON.stringify({ errorType: 'IndexMismatchError', errorMessage: 'dimension 512 vs 1024' }),
        },
      },
      reportServices,
    );
    // Assess
    expect(summary).toMatchObject({
      status: 'FAILED',
      error: 'IndexMismatchError (IndexMismatchError: dimension 512 vs 1024)',
      counts: {},
    });
    const notification = await notificationOf('run-failed');
    expect(notification?.Subject).toBe('rag-serving test: ingestion run FAILED');
    expect(notification?.Message).toContain(
      'Error: IndexMismatchError (IndexMismatchError: dimension 512 vs 1024)',
    );
  });
});
