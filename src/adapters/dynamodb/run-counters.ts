import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { BackendUnavailableError } from '../../core/errors.js';
import { JOBS_TABLE_KEYS, JOBS_TTL_ATTRIBUTE, runPartition } from '../../shared/jobs.js';
import { isTransient } from '../aws/aws-errors.js';

export interface DynamoRunCountersOptions {
  readonly tableName: string;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
  /** Days a run's counts are kept. @default 30 */
  readonly ttlDays?: number;
}

/** What one run has counted so far, and the first problems its parts named. */
export interface RunCounts {
  readonly counts: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

const { partitionKey: PK, sortKey: SK } = JOBS_TABLE_KEYS;
const COUNTS_SK = 'COUNTS';
/** Problems kept per run: enough to say what went wrong, never enough to fill the 400 KB item. */
export const KEPT_PROBLEMS = 50;
const NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Counters of one job run in the jobs table (`pk = RUN#<run id>`), which the parts of the run (the
 * distributed map's batches, the prune step, ...) add to with atomic `ADD`s, so that concurrent
 * parts never lose a count, and the run report reads at the end. Expired by TTL.
 */
export class DynamoRunCounters {
  private readonly client: DynamoDBClient;
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoRunCountersOptions) {
    this.client = options.client ?? new DynamoDBClient({});
    this.ttlSeconds = (options.ttlDays ?? 30) * 86_400;
  }

  async add(
    runId: string,
    counts: Readonly<Record<string, number>>,
    problems: readonly string[] = [],
  ): Promise<void> {
    const entries = Object.entries(counts).filter(([name]) => NAME.test(name));
    const key = { [PK]: { S: runPartition(runId) }, [SK]: { S: COUNTS_SK } };
    const expires = String(Math.ceil(Date.now() / 1000) + this.ttlSeconds);
    await this.call(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: `SET #ttl = :ttl${entries.length > 0 ? ` ADD ${entries.map(([name]) => `#${name} :${name}`).join(', ')}` : ''}`,
          ExpressionAttributeNames: {
            '#ttl': JOBS_TTL_ATTRIBUTE,
            ...Object.fromEntries(entries.map(([name]) => [`#${name}`, name])),
          },
          ExpressionAttributeValues: {
            ':ttl': { N: expires },
            ...Object.fromEntries(entries.map(([name, value]) => [`:${name}`, { N: String(value) }])),
          },
        }),
      ),
    );
    if (problems.length === 0) return;
    // Problems are samples: once KEPT_PROBLEMS are stored, later ones are dropped (the counts stay exact).
    await this.call(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: 'SET problems = list_append(if_not_exists(problems, :none), :new)',
          ConditionExpression: 'attribute_not_exists(problems) OR size(problems) < :kept',
          ExpressionAttributeValues: {
            ':none': { L: [] },
            ':new': { L: problems.slice(0, KEPT_PROBLEMS).map((problem) => ({ S: problem })) },
            ':kept': { N: String(KEPT_PROBLEMS) },
          },
        }),
      ),
    ).catch((error: unknown) => {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    });
  }

  async get(runId: string): Promise<RunCounts> {
    const { Item } = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { [PK]: { S: runPartition(runId) }, [SK]: { S: COUNTS_SK } },
          ConsistentRead: true,
        }),
      ),
    );
    const counts: Record<string, number> = {};
    for (const [name, value] of Object.entries(Item ?? {})) {
      if (value.N !== undefined && name !== JOBS_TTL_ATTRIBUTE) counts[name] = Number(value.N);
    }
    return { counts, problems: (Item?.problems?.L ?? []).map((value) => value.S ?? '') };
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isTransient(error)) throw new BackendUnavailableError('DynamoDB', { cause: error });
      throw error;
    }
  }
}
