/**
 * Names shared by the jobs' code (ingestion, batch answers, run reports) and their CDK stack, so
 * that the stack can never pass a setting, watch a metric or publish an output the code does not use.
 */

/** The jobs table: manifest entries and run counters, one table, told apart by the partition key. */
export const JOBS_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** Epoch seconds; run items expire, manifest entries never do. */
export const JOBS_TTL_ATTRIBUTE = 'expires_at';
/** Partition key prefix of manifest entries; IAM conditions on the table use it too. */
export const MANIFEST_KEY_PREFIX = 'MANIFEST#';
/** Partition key prefix of run counters. */
export const RUN_KEY_PREFIX = 'RUN#';

/** One partition per source and namespace: `MANIFEST#<namespace>#<source>` (the namespace URI-encoded). */
export const manifestPartition = (sourceName: string, namespace?: string): string =>
  `${MANIFEST_KEY_PREFIX}${encodeURIComponent(namespace ?? '')}#${sourceName}`;

export const runPartition = (runId: string): string => `${RUN_KEY_PREFIX}${runId}`;

/** Environment variables of the job functions. */
export const JobsEnvVar = {
  documentsBucket: 'DOCUMENTS_BUCKET',
  /** Key prefix of the documents to ingest, e.g. `docs/`; keys outside it are not documents. */
  documentsPrefix: 'DOCUMENTS_PREFIX',
  /** Source name of the bucket's documents: their chunk ids start with `<source>:`. */
  ingestSource: 'INGEST_SOURCE',
  maxDocumentBytes: 'INGEST_MAX_DOCUMENT_BYTES',
  jobsTable: 'JOBS_TABLE_NAME',
  /** SNS topic told about every run's outcome. */
  jobsTopicArn: 'JOBS_TOPIC_ARN',
  /** Key prefix under which `.jsonl` files start batch-answers runs. */
  batchPrefix: 'BATCH_PREFIX',
  /** Key prefix of the jobs' working files (plans, parts), expired by the bucket's lifecycle. */
  workPrefix: 'JOBS_WORK_PREFIX',
  /** Lines of a batch file per range (one function invocation of the map). */
  linesPerRange: 'BATCH_LINES_PER_RANGE',
  /** Lines one function answers at once. */
  lineConcurrency: 'BATCH_LINE_CONCURRENCY',
  /** Principal that owns the sessions batch files start. */
  batchPrincipal: 'BATCH_PRINCIPAL',
  stage: 'RAG_STAGE',
} as const;

/** The jobs stack (whose outputs `npm run ingest -- --stage <stage>` reads) and the stateful stack (the jobs table). */
export { jobsStackName, statefulStackName } from './stack-outputs.js';

/** CloudFormation output keys of the jobs stack (and `jobsTable`, of the stateful stack). */
export const JobsStackOutput = {
  documentsBucket: 'DocumentsBucketName',
  documentsPrefix: 'DocumentsPrefix',
  batchPrefix: 'BatchPrefix',
  sourceName: 'SourceName',
  jobsTable: 'JobsTableName',
  ingestionStateMachine: 'IngestionStateMachineArn',
  batchStateMachine: 'BatchStateMachineArn',
  jobsTopic: 'JobsTopicArn',
  embeddingModelId: 'EmbeddingModelId',
  pineconeIndexName: 'PineconeIndexName',
  pineconeHost: 'PineconeHost',
  pineconeNamespace: 'PineconeNamespace',
  pineconeApiKeySecret: 'PineconeApiKeySecretName',
} as const;

/** Metric names of job runs (namespace METRICS_NAMESPACE, dimension `service` and `Job`). */
export const JobMetricName = {
  runsSucceeded: 'JobRunsSucceeded',
  runsFailed: 'JobRunsFailed',
  runDuration: 'JobRunDuration',
  documentsSeen: 'DocumentsSeen',
  documentsAdded: 'DocumentsAdded',
  documentsUpdated: 'DocumentsUpdated',
  documentsDeleted: 'DocumentsDeleted',
  documentsFailed: 'DocumentsFailed',
  documentsSkipped: 'DocumentsSkipped',
  chunksWritten: 'ChunksWritten',
  embeddingTokens: 'EmbeddingTokens',
  batchLinesAnswered: 'BatchLinesAnswered',
  batchLinesFailed: 'BatchLinesFailed',
} as const;

/** The `Job` dimension of run metrics. */
export const JOB_DIMENSION = 'Job';
export const JOB_NAMES = ['ingestion', 'batch-answers'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/**
 * The `step` of a job function's event: which part of a run the state machine asks for. The CDK
 * workflows build these payloads and the handlers parse them, both from these names.
 */
export const JobStep = {
  /** Ingestion: index a batch of listed documents (the distributed map's items). */
  indexDocuments: 'index-documents',
  /** Ingestion: remove the chunks of documents the bucket no longer has. */
  pruneRemoved: 'prune-removed',
  /** Batch answers: split the file into ranges of lines. */
  planBatch: 'plan-batch',
  /** Batch answers: answer one range of lines into a part file. */
  answerRange: 'answer-range',
  /** Batch answers: join the parts into the output file beside the input. */
  combineParts: 'combine-parts',
} as const;

/** The output of a batch file `batch/questions.jsonl` is `batch/questions.jsonl.out`, which starts no run. */
export const BATCH_INPUT_SUFFIX = '.jsonl';
export const BATCH_OUTPUT_SUFFIX = '.out';
