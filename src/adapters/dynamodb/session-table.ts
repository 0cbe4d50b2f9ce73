import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESSION_OWNER_INDEX, SESSION_TABLE_KEYS } from '../../shared/sessions.js';
import { ensureTable, type EnsureTableOptions } from './ensure-table.js';

/**
 * The session table as the local server and the tests create it. The CDK stack declares its
 * own table (with TTL, PITR and a removal policy) from the same names in `src/shared/`,
 * including the owner index that `GET /sessions` reads.
 */
export function sessionTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = SESSION_TABLE_KEYS;
  const owner = SESSION_OWNER_INDEX;
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: owner.partitionKey, AttributeType: 'S' },
      { AttributeName: owner.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: owner.indexName,
        KeySchema: [
          { AttributeName: owner.partitionKey, KeyType: 'HASH' },
          { AttributeName: owner.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export type EnsureSessionTableOptions = EnsureTableOptions;

/**
 * Creates the session table when it is missing and waits until it is ACTIVE. TTL is not enabled
 * here: dynalite has no UpdateTimeToLive and never expires items, which is why reads filter on
 * the TTL attribute.
 */
export async function ensureSessionTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureSessionTableOptions = {},
): Promise<void> {
  await ensureTable(client, sessionTableDefinition(tableName), options);
}
