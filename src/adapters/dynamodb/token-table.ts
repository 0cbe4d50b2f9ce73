import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TOKEN_TABLE_KEYS } from '../../shared/tokens.js';
import { ensureTable, type EnsureTableOptions } from './ensure-table.js';

/** The token table as tests create it; the CDK table uses the same key name. */
export function tokenTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: TOKEN_TABLE_KEYS.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: TOKEN_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export function ensureTokenTable(
  client: DynamoDBClient,
  tableName: string,
  options?: EnsureTableOptions,
): Promise<void> {
  return ensureTable(client, tokenTableDefinition(tableName), options);
}
