import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { UsageCounters, UsageStore, UsageWindow } from '../../core/ports/usage-store.js';
import { USAGE_TABLE_KEYS, USAGE_TTL_ATTRIBUTE } from '../../shared/usage.js';
import { dynamoFailure } from './dynamo-errors.js';
import { EnvVar } from '../../shared/env.js';

export interface DynamoUsageStoreOptions {
  readonly tableName: string;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
}

/** Counters outlive their window by this much, so a late read still finds them. */
const TTL_MARGIN_SECONDS = 3_600;

/**
 * Quota counters in DynamoDB: one item per principal and window, updated with `ADD`, which is
 * atomic on the server, so concurrent requests in different Lambdas never lose a count.
 */
export class DynamoUsageStore implements UsageStore {
  readonly #tableName: string;
  readonly #client: DynamoDBClient;

  constructor(options: DynamoUsageStoreOptions) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? new DynamoDBClient({});
  }

  async add(window: UsageWindow, delta: Partial<UsageCounters>): Promise<UsageCounters> {
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [USAGE_TABLE_KEYS.partitionKey]: { S: `USAGE#${window.principal}#${window.start}` } },
          UpdateExpression: 'ADD #requests :requests, #tokens :tokens SET #ttl = :ttl',
          ExpressionAttributeNames: {
            '#requests': 'requests',
            '#tokens': 'tokens',
            '#ttl': USAGE_TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':requests': { N: String(delta.requests ?? 0) },
            ':tokens': { N: String(delta.tokens ?? 0) },
            ':ttl': { N: String(Math.ceil(window.end / 1000) + TTL_MARGIN_SECONDS) },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return {
        requests: Number(result.Attributes?.requests?.N ?? 0),
        tokens: Number(result.Attributes?.tokens?.N ?? 0),
      };
    } catch (error) {
      throw dynamoFailure(error, {
        role: 'Usage',
        tableName: this.#tableName,
        setting: EnvVar.usageTable,
        operation: 'add',
      });
    }
  }
}
