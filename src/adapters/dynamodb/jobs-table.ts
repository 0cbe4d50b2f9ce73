import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JOBS_TABLE_KEYS } from '../../shared/jobs.js';
import { ensureTable, type EnsureTableOptions } from './ensure-table.js';

/** The jobs table (manifests and run counters) as tests create it; the CDK table uses the same names. */
export function jobsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: JOBS_TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: JOBS_TABLE_KEYS.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: JOBS_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: JOBS_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export function ensureJobsTable(
  client: DynamoDBClient,
  tableName: string,
  options?: EnsureTableOptions,
): Promise<void> {
  return ensureTable(client, jobsTableDefinition(tableName), options);
}
