import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { USAGE_TABLE_KEYS } from '../../shared/usage.js';
import { ensureTable, type EnsureTableOptions } from './ensure-table.js';

/** The usage table as the local server and tests create it; the CDK table uses the same names. */
export function usageTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: USAGE_TABLE_KEYS.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: USAGE_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export function ensureUsageTable(
  client: DynamoDBClient,
  tableName: string,
  options?: EnsureTableOptions,
): Promise<void> {
  return ensureTable(client, usageTableDefinition(tableName), options);
}
