import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { SESSION_TABLE_KEYS } from '../../shared/sessions.js';

/** The session table is missing and could not be made ready, or exists with other keys. */
export class SessionTableSetupError extends Error {
  constructor(
    message: string,
    readonly tableName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SessionTableSetupError';
  }
}

/**
 * The session table as the local server and the tests create it. The CDK stack declares its
 * own table (with TTL, PITR and a removal policy) from the same key names in `src/shared/`.
 */
export function sessionTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = SESSION_TABLE_KEYS;
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export interface EnsureSessionTableOptions {
  /** How long to wait for the table to become ACTIVE. @default 60_000 */
  readonly timeoutMs?: number;
  /** @default 100 */
  readonly pollIntervalMs?: number;
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function assertSessionKeys(table: TableDescription, tableName: string): void {
  const keys = (table.KeySchema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  const expected = `${SESSION_TABLE_KEYS.partitionKey}:HASH,${SESSION_TABLE_KEYS.sortKey}:RANGE`;
  if (keys !== expected) {
    throw new SessionTableSetupError(
      `Table '${tableName}' exists with key schema ${keys || '(none)'} but sessions need ${expected}; use another table name or delete it.`,
      tableName,
    );
  }
}

/**
 * Creates the session table when it is missing and waits until it is ACTIVE. Polls itself
 * instead of using the SDK waiter, whose 20 s minimum delay would dominate a local start
 * (dynalite can create tables instantly). TTL is not enabled here: dynalite has no
 * UpdateTimeToLive and never expires items, which is why reads filter on the TTL attribute.
 */
export async function ensureSessionTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureSessionTableOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  let table = await describe(client, tableName);
  if (table === undefined) {
    try {
      await client.send(new CreateTableCommand(sessionTableDefinition(tableName)));
    } catch (error) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    table = await describe(client, tableName);
    if (table?.TableStatus === 'ACTIVE') {
      assertSessionKeys(table, tableName);
      return;
    }
    if (Date.now() >= deadline) {
      throw new SessionTableSetupError(
        `Table '${tableName}' did not become ACTIVE within ${timeoutMs} ms (status: ${table?.TableStatus ?? 'missing'}).`,
        tableName,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
