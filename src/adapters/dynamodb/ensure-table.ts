import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

/** A table is missing and could not be made ready, or exists in a shape this code cannot use. */
export class TableSetupError extends Error {
  constructor(
    message: string,
    readonly tableName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TableSetupError';
  }
}

export interface EnsureTableOptions {
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

const keysOf = (schema: CreateTableCommandInput['KeySchema']): string =>
  (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');

/**
 * The first difference between an existing table and the definition this code needs (keys and
 * global indexes), or undefined when the table fits.
 */
export function tableMismatch(
  table: TableDescription,
  definition: CreateTableCommandInput,
): string | undefined {
  const name = definition.TableName ?? '?';
  const actual = keysOf(table.KeySchema);
  const expected = keysOf(definition.KeySchema);
  if (actual !== expected) {
    return `Table '${name}' exists with key schema ${actual || '(none)'} but needs ${expected}`;
  }
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    const found = table.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === index.IndexName);
    if (found === undefined) return `Table '${name}' has no global index '${index.IndexName}'`;
    if (keysOf(found.KeySchema) !== keysOf(index.KeySchema)) {
      return `Index '${index.IndexName}' of table '${name}' has keys ${keysOf(found.KeySchema)} but needs ${keysOf(index.KeySchema)}`;
    }
  }
  return undefined;
}

/**
 * Creates a table when it is missing and waits until it is ACTIVE. Polls itself instead of using
 * the SDK waiter, whose 20 s minimum delay would dominate a local start (dynalite creates tables
 * instantly). An existing table of another shape is an error naming the difference.
 */
export async function ensureTable(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  options: EnsureTableOptions = {},
): Promise<void> {
  const tableName = definition.TableName ?? '';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  let table = await describe(client, tableName);
  if (table === undefined) {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    table = await describe(client, tableName);
    if (table?.TableStatus === 'ACTIVE') {
      const mismatch = tableMismatch(table, definition);
      if (mismatch !== undefined) {
        throw new TableSetupError(`${mismatch}; use another table name or delete it.`, tableName);
      }
      return;
    }
    if (Date.now() >= deadline) {
      throw new TableSetupError(
        `Table '${tableName}' did not become ACTIVE within ${timeoutMs} ms (status: ${table?.TableStatus ?? 'missing'}).`,
        tableName,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
