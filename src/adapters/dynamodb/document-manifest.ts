import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { BackendUnavailableError } from '../../core/errors.js';
import type {
  IncrementalManifest,
  ManifestEntry,
  ManifestRecord,
} from '../../ingest/manifest/document-manifest.js';
import { JOBS_TABLE_KEYS, manifestPartition } from '../../shared/jobs.js';
import { isTransient } from '../aws/aws-errors.js';

export interface DynamoDocumentManifestOptions {
  readonly tableName: string;
  readonly sourceName: string;
  readonly namespace?: string;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
}

/** The jobs table refused a call for a reason no retry fixes (missing table, no permission). */
export class ManifestTableError extends Error {
  constructor(tableName: string, options: { cause: unknown }) {
    const name = (options.cause as Error | undefined)?.name ?? 'an error';
    super(
      `The jobs table '${tableName}' refused a manifest call (${name}); check the table name and permissions.`,
      options,
    );
    this.name = new.target.name;
  }
}

const { partitionKey: PK, sortKey: SK } = JOBS_TABLE_KEYS;
/** DynamoDB's limits per BatchGetItem and BatchWriteItem call. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
/** Rounds of retries for items DynamoDB returns unprocessed (throttled inside a batch). */
const UNPROCESSED_ROUNDS = 8;

/**
 * The cloud manifest: one item per document in the jobs table, `pk = MANIFEST#<namespace>#<source>`
 * and `sk = <path>`. DynamoDB sorts sort keys by their UTF-8 bytes, as S3 lists keys, so a Query
 * streams the entries in the order the merge with the listing needs, a page at a time.
 */
export class DynamoDocumentManifest implements IncrementalManifest {
  private readonly client: DynamoDBClient;
  private readonly partition: string;

  constructor(private readonly options: DynamoDocumentManifestOptions) {
    this.client = options.client ?? new DynamoDBClient({});
    this.partition = manifestPartition(options.sourceName, options.namespace);
  }

  async *entries(abortSignal?: AbortSignal): AsyncGenerator<ManifestEntry> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call(
        () =>
          this.client.send(
            new QueryCommand({
              TableName: this.options.tableName,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': PK },
              ExpressionAttributeValues: { ':pk': { S: this.partition } },
              ConsistentRead: true,
              ...(startKey && { ExclusiveStartKey: startKey }),
            }),
            { abortSignal },
          ),
        abortSignal,
      );
      for (const item of page.Items ?? []) yield fromItem(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async get(
    paths: readonly string[],
    abortSignal?: AbortSignal,
  ): Promise<ReadonlyMap<string, ManifestEntry>> {
    const found = new Map<string, ManifestEntry>();
    const unique = [...new Set(paths)];
    for (let start = 0; start < unique.length; start += GET_BATCH) {
      let keys: Record<string, AttributeValue>[] = unique
        .slice(start, start + GET_BATCH)
        .map((path) => ({ [PK]: { S: this.partition }, [SK]: { S: path } }));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= UNPROCESSED_ROUNDS) throw new BackendUnavailableError('DynamoDB');
        const request = new BatchGetItemCommand({
          RequestItems: { [this.options.tableName]: { Keys: keys, ConsistentRead: true } },
        });
        const response = await this.call(() => this.client.send(request, { abortSignal }), abortSignal);
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          const entry = fromItem(item);
          found.set(entry.path, entry);
        }
        keys = response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  /** Writes only what changed: a full reconcile also passes the unchanged documents, which cost nothing here. */
  async record(records: readonly ManifestRecord[]): Promise<void> {
    const writes: WriteRequest[] = records
      .filter((record) => record.changed)
      .map((record) =>
        record.entry
          ? { PutRequest: { Item: this.toItem(record.entry) } }
          : { DeleteRequest: { Key: { [PK]: { S: this.partition }, [SK]: { S: record.path } } } },
      );
    for (let start = 0; start < writes.length; start += WRITE_BATCH) {
      let pending = writes.slice(start, start + WRITE_BATCH);
      for (let round = 0; pending.length > 0; round++) {
        if (round >= UNPROCESSED_ROUNDS) throw new BackendUnavailableError('DynamoDB');
        const request = new BatchWriteItemCommand({ RequestItems: { [this.options.tableName]: pending } });
        const response = await this.call(() => this.client.send(request));
        pending = response.UnprocessedItems?.[this.options.tableName] ?? [];
      }
    }
  }

  async complete(): Promise<void> {}
  async release(): Promise<void> {}

  private toItem(entry: ManifestEntry): Record<string, AttributeValue> {
    return {
      [PK]: { S: this.partition },
      [SK]: { S: entry.path },
      content_hash: { S: entry.contentHash },
      version: { S: entry.version },
      chunk_ids: { L: entry.chunkIds.map((id) => ({ S: id })) },
    };
  }

  /** Runs one call, telling throttling and outages (worth a retry later) from setup errors. */
  private async call<T>(work: () => Promise<T>, abortSignal?: AbortSignal): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      if (isTransient(error)) throw new BackendUnavailableError('DynamoDB', { cause: error });
      throw new ManifestTableError(this.options.tableName, { cause: error });
    }
  }
}

function fromItem(item: Record<string, AttributeValue>): ManifestEntry {
  return {
    path: item[SK]?.S ?? '',
    contentHash: item.content_hash?.S ?? '',
    version: item.version?.S ?? '',
    chunkIds: (item.chunk_ids?.L ?? []).map((value) => value.S ?? ''),
  };
}
