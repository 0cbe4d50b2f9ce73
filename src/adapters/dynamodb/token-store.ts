import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { SCOPES, type Scope } from '../../auth/principal.js';
import type { TokenRecord, TokenStore } from '../../auth/token-store.js';
import { TOKEN_TABLE_KEYS } from '../../shared/tokens.js';
import { dynamoFailure, malformedItem } from './dynamo-errors.js';
import { EnvVar } from '../../shared/env.js';

export interface DynamoTokenStoreOptions {
  readonly tableName: string;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
}

type Item = Record<string, AttributeValue>;
const KEY = TOKEN_TABLE_KEYS.partitionKey;
const KNOWN_SCOPES = new Set<string>(SCOPES);

function toItem(record: TokenRecord): Item {
  return {
    [KEY]: { S: record.tokenId },
    principal: { S: record.principal },
    scopes: { L: record.scopes.map((scope) => ({ S: scope })) },
    salt: { S: record.salt },
    hash: { S: record.hash },
    createdAt: { N: String(record.createdAt) },
    ...(record.expiresAt !== undefined && { expiresAt: { N: String(record.expiresAt) } }),
    ...(record.revoked !== undefined && { revoked: { BOOL: record.revoked } }),
    ...(record.namespace !== undefined && { namespace: { S: record.namespace } }),
    ...(record.comment !== undefined && { comment: { S: record.comment } }),
  };
}

function fromItem(item: Item): TokenRecord | undefined {
  const tokenId = item[KEY]?.S;
  const principal = item.principal?.S;
  const salt = item.salt?.S;
  const hash = item.hash?.S;
  const createdAt = item.createdAt?.N;
  const scopes = item.scopes?.L?.map((value) => value.S ?? '');
  if (!tokenId || !principal || !salt || !hash || createdAt === undefined || scopes === undefined)
    return undefined;
  return {
    tokenId,
    principal,
    // A scope this version does not know grants nothing.
    scopes: scopes.filter((scope): scope is Scope => KNOWN_SCOPES.has(scope)),
    salt,
    hash,
    createdAt: Number(createdAt),
    ...(item.expiresAt?.N !== undefined && { expiresAt: Number(item.expiresAt.N) }),
    ...(item.revoked?.BOOL !== undefined && { revoked: item.revoked.BOOL }),
    ...(item.namespace?.S !== undefined && { namespace: item.namespace.S }),
    ...(item.comment?.S !== undefined && { comment: item.comment.S }),
  };
}

/**
 * Token records in DynamoDB, keyed by the token's public id: salted hashes only, never a token.
 * The TOKEN authorizer reads one item per verification (cached in memory for a short while); the
 * token CLI writes, lists and revokes.
 */
export class DynamoTokenStore implements TokenStore {
  readonly #tableName: string;
  readonly #client: DynamoDBClient;

  constructor(options: DynamoTokenStoreOptions) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? new DynamoDBClient({});
  }

  async find(tokenId: string): Promise<TokenRecord | undefined> {
    const result = await this.#call('find', () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [KEY]: { S: tokenId } },
          // A revocation must count from the moment it is written.
          ConsistentRead: true,
        }),
      ),
    );
    if (result.Item === undefined) return undefined;
    return this.#parse(result.Item);
  }

  async put(record: TokenRecord): Promise<void> {
    await this.#call('put', () =>
      this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: toItem(record) })),
    );
  }

  async list(): Promise<readonly TokenRecord[]> {
    const records: TokenRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#call('list', () =>
        this.#client.send(
          new ScanCommand({ TableName: this.#tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
        ),
      );
      for (const item of page.Items ?? []) records.push(this.#parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return records.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(tokenId: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [KEY]: { S: tokenId } },
          UpdateExpression: 'SET revoked = :yes',
          ConditionExpression: 'attribute_exists(#key)',
          ExpressionAttributeNames: { '#key': KEY },
          ExpressionAttributeValues: { ':yes': { BOOL: true } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw this.#mapped('revoke', error);
    }
  }

  #parse(item: Item): TokenRecord {
    const record = fromItem(item);
    if (record === undefined) {
      throw malformedItem({ role: 'Token', tableName: this.#tableName }, item[KEY]?.S ?? '?');
    }
    return record;
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.#mapped(operation, error);
    }
  }

  #mapped(operation: string, error: unknown): Error {
    return dynamoFailure(error, {
      role: 'Token',
      tableName: this.#tableName,
      setting: EnvVar.tokenTable,
      operation,
    });
  }
}
