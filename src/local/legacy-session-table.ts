import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

const BATCH_WRITE_LIMIT = 25;

async function exists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

async function writeAll(client: DynamoDBClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = result.UnprocessedItems?.[tableName] ?? [];
  }
}

/**
 * Copies the sessions of a data directory written by an earlier version (a table without the
 * owner index, which dynalite cannot add) into the current table, then drops the old one. Puts
 * are idempotent, so an interrupted copy simply runs again on the next start.
 */
export async function upgradeLegacySessionTable(
  client: DynamoDBClient,
  legacyTable: string,
  currentTable: string,
  log: (line: string) => void,
): Promise<void> {
  if (!(await exists(client, legacyTable))) return;
  let copied = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: legacyTable, ExclusiveStartKey: startKey }));
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
      const batch = items.slice(i, i + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
      await writeAll(client, currentTable, batch);
    }
    copied += items.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  await client.send(new DeleteTableCommand({ TableName: legacyTable }));
  log(`Upgraded local sessions: ${copied} items copied from '${legacyTable}' to '${currentTable}'.`);
}
