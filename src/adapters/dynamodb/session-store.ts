import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
  type UpdateItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { BackendUnavailableError, InvalidParameterError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/ports/clock.js';
import type { SessionStore } from '../../core/ports/session-store.js';
import type { CitedSource, Turn } from '../../core/ports/types.js';
import {
  DEFAULT_SESSION_TTL_DAYS,
  SESSION_TABLE_KEYS,
  SESSION_TTL_ATTRIBUTE,
} from '../../shared/sessions.js';

export interface DynamoSessionStoreOptions {
  readonly tableName: string;
  /** @default new DynamoDBClient({}) (region and credentials from the Lambda environment) */
  readonly client?: DynamoDBClient;
  /** @default systemClock */
  readonly clock?: Clock;
  /** How long a session and each turn live after their last write. @default DEFAULT_SESSION_TTL_DAYS */
  readonly ttlDays?: number;
}

export interface ListTurnsOptions {
  /** At most this many turns per page (a positive integer). */
  readonly pageSize: number;
  /** `nextPageToken` of the previous page; absent for the first page. */
  readonly pageToken?: string;
}

export interface TurnPage {
  /** Oldest first. */
  readonly turns: readonly Turn[];
  /** Absent on the last page. */
  readonly nextPageToken?: string;
}

/**
 * DynamoDB refused a call for a reason retrying will not fix (missing table, wrong key schema,
 * no permission, a malformed item). Not a ServingError: it is logged and answered as a bare 500,
 * because its message names infrastructure.
 */
export class SessionStoreError extends Error {
  constructor(
    message: string,
    readonly tableName: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SessionStoreError';
  }
}

const { partitionKey: PK, sortKey: SK } = SESSION_TABLE_KEYS;
const TTL = SESSION_TTL_ATTRIBUTE;
const META_SK = 'META';
const TURN_PREFIX = 'TURN#';
const SECONDS_PER_DAY = 86_400;
/**
 * The metadata item outlives every turn written under it by this much, so that once a session's
 * metadata counts as expired (and another principal may claim the id) none of its turns is
 * still readable. An hour is far longer than any request takes between claim and append.
 */
const META_TTL_MARGIN_SECONDS = 3_600;
/** BatchWriteItem's own cap. */
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 8;
const APPEND_ATTEMPTS = 3;
const CLAIM_ROUNDS = 5;

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
]);

// Tiny marshalling helpers: the low-level client keeps the Lambda bundle free of lib-dynamodb.
const str = (value: string): AttributeValue => ({ S: value });
const num = (value: number): AttributeValue => ({ N: String(value) });
type Item = Record<string, AttributeValue>;

function readString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function readNumber(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  return raw === undefined ? undefined : Number(raw);
}

const sessionKey = (sessionId: string): AttributeValue => str(`SESSION#${sessionId}`);

/**
 * `TURN#<13-digit epoch ms>#<random>`: sorts by creation time (zero padding keeps the string order
 * numeric until the year 2286), and the suffix keeps two turns of the same millisecond apart.
 */
function turnSortKey(createdAt: number): string {
  const millis = String(Math.max(0, Math.trunc(createdAt))).padStart(13, '0');
  return `${TURN_PREFIX}${millis}#${randomBytes(8).toString('hex')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function errorName(error: unknown): string {
  if (!isRecord(error)) return '';
  return String(error.name ?? '');
}

function isUnavailable(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const name = errorName(error);
  const code = typeof error.code === 'string' ? error.code : '';
  const retryable = isRecord(error.$retryable) ? error.$retryable : undefined;
  const status = isRecord(error.$metadata) ? error.$metadata.httpStatusCode : undefined;
  return (
    THROTTLING_ERRORS.has(name) ||
    retryable?.throttling === true ||
    NETWORK_ERRORS.has(name) ||
    NETWORK_ERRORS.has(code) ||
    // DynamoDB's own 5xx (InternalServerError, ServiceUnavailable) after the SDK's retries.
    (typeof status === 'number' && status >= 500) ||
    error.$fault === 'server'
  );
}

/**
 * Sources are stored as one JSON string, not a list of maps: they are written and read whole,
 * never queried by field, a string costs fewer bytes of the 400 KB item budget than a
 * type-tagged map per source, and the shape can grow without touching the marshalling.
 */
function encodeSources(sources: readonly CitedSource[]): string {
  return JSON.stringify(sources.map(({ id, source, score, text }) => ({ id, source, score, text })));
}

function decodeSources(raw: string | undefined): CitedSource[] | undefined {
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return undefined;
    const sources: CitedSource[] = [];
    for (const entry of parsed) {
      if (!isRecord(entry)) return undefined;
      sources.push({
        id: String(entry.id),
        source: String(entry.source),
        score: Number(entry.score),
        text: String(entry.text),
      });
    }
    return sources;
  } catch {
    return undefined;
  }
}

/** The page token is the last returned turn's sort key; the partition comes from the session id. */
function encodePageToken(sk: string): string {
  return Buffer.from(JSON.stringify({ sk }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.sk === 'string' && parsed.sk.startsWith(TURN_PREFIX))
      return parsed.sk;
  } catch {
    // Fall through: the caller sees one message for every kind of bad token.
  }
  throw new InvalidParameterError('page_token is not a token this service issued.');
}

/**
 * Session history in DynamoDB: one item per turn (items cap at 400 KB, a growing list would
 * not), one metadata item with the owning principal, and a TTL on every item. TTL deletion is
 * lazy (and dynalite never deletes), so every read filters out expired items itself.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #tableName: string;
  readonly #client: DynamoDBClient;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;

  constructor(options: DynamoSessionStoreOptions) {
    const ttlDays = options.ttlDays ?? DEFAULT_SESSION_TTL_DAYS;
    if (!Number.isFinite(ttlDays) || ttlDays <= 0) {
      throw new RangeError(`ttlDays must be a positive number of days, got ${ttlDays}.`);
    }
    this.#tableName = options.tableName;
    this.#client = options.client ?? new DynamoDBClient({});
    this.#clock = options.clock ?? systemClock;
    this.#ttlSeconds = Math.round(ttlDays * SECONDS_PER_DAY);
  }

  /**
   * One conditional UpdateItem claims a new session, or refreshes the TTL of a live one and
   * returns its owner. Metadata that has expired but not yet been deleted counts as absent, as
   * it will once DynamoDB deletes it: a second UpdateItem then claims the id afresh.
   */
  async claim(sessionId: string, principal: string): Promise<string> {
    for (let round = 1; ; round++) {
      const now = this.#clock.now();
      const nowSeconds = Math.floor(now / 1000);
      const values = {
        ':p': str(principal),
        ':now': num(now),
        ':ttl': num(nowSeconds + this.#ttlSeconds + META_TTL_MARGIN_SECONDS),
        ':nowSec': num(nowSeconds),
      };
      const names = { '#owner': 'owner', '#created': 'created_at', '#ttl': TTL };
      const live = await this.#conditionalUpdate('claim', {
        Key: { [PK]: sessionKey(sessionId), [SK]: str(META_SK) },
        UpdateExpression:
          'SET #owner = if_not_exists(#owner, :p), #created = if_not_exists(#created, :now), #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl > :nowSec',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      if (live !== undefined) return this.#ownerOf(live, 'claim');
      const takenOver = await this.#conditionalUpdate('claim', {
        Key: { [PK]: sessionKey(sessionId), [SK]: str(META_SK) },
        UpdateExpression: 'SET #owner = :p, #created = :now, #ttl = :ttl',
        ConditionExpression: '#ttl <= :nowSec',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      if (takenOver !== undefined) return this.#ownerOf(takenOver, 'claim');
      // Somebody else revived or deleted it between our two calls: try again, but not forever.
      if (round >= CLAIM_ROUNDS) {
        throw new BackendUnavailableError('DynamoDB', {
          cause: new Error(`claim of a session kept racing after ${round} rounds`),
        });
      }
    }
  }

  /** The last `limit` unexpired turns, oldest first. */
  async recent(sessionId: string, limit: number): Promise<readonly Turn[]> {
    const wanted = Math.floor(limit);
    if (!(wanted > 0)) return [];
    const newestFirst: Turn[] = [];
    let startKey: Item | undefined;
    do {
      // Limit counts items before the TTL filter, so a page can come back short: keep reading.
      const page = await this.#queryTurns(sessionId, {
        ScanIndexForward: false,
        Limit: wanted,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) {
        if (newestFirst.length < wanted) newestFirst.push(this.#toTurn(sessionId, item));
      }
      startKey = page.LastEvaluatedKey;
    } while (newestFirst.length < wanted && startKey !== undefined);
    return newestFirst.reverse();
  }

  /**
   * A conditional put that never overwrites: two turns of one session written at once land on
   * two sort keys, and a (practically impossible) suffix collision retries with a fresh suffix.
   */
  async append(turn: Turn): Promise<void> {
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#tableName,
            Item: {
              [PK]: sessionKey(turn.sessionId),
              [SK]: str(turnSortKey(turn.createdAt)),
              query: str(turn.query),
              response: str(turn.response),
              sources: str(encodeSources(turn.sources)),
              created_at: num(turn.createdAt),
              [TTL]: num(nowSeconds + this.#ttlSeconds),
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': SK },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= APPEND_ATTEMPTS)
          throw this.#mapped('append', error);
      }
    }
  }

  /** One page of a session's unexpired turns, oldest first. */
  async listTurns(sessionId: string, options: ListTurnsOptions): Promise<TurnPage> {
    const pageSize = options.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError(`pageSize must be a positive integer, got ${pageSize}.`);
    let startKey: Item | undefined =
      options.pageToken === undefined
        ? undefined
        : { [PK]: sessionKey(sessionId), [SK]: str(decodePageToken(options.pageToken)) };
    const turns: Turn[] = [];
    let lastSortKey: string | undefined;
    for (;;) {
      // One item more than the page needs tells whether a next page exists, so the last page
      // carries no token (a LastEvaluatedKey alone would promise a page that may be empty).
      const page = await this.#queryTurns(sessionId, {
        ScanIndexForward: true,
        Limit: pageSize - turns.length + 1,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) {
        if (turns.length === pageSize) return { turns, nextPageToken: encodePageToken(lastSortKey ?? '') };
        turns.push(this.#toTurn(sessionId, item));
        lastSortKey = readString(item, SK);
      }
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) return { turns };
    }
  }

  /** The principal owning a session, or undefined when there is none or it has expired. */
  async owner(sessionId: string): Promise<string | undefined> {
    const result = await this.#call('owner', () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [PK]: sessionKey(sessionId), [SK]: str(META_SK) },
          ProjectionExpression: '#owner, #ttl',
          ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL },
          // A request right after a claim must see it.
          ConsistentRead: true,
        }),
      ),
    );
    if (result.Item === undefined || this.#expired(result.Item)) return undefined;
    return readString(result.Item, 'owner');
  }

  /**
   * Erases a session: every turn (expired ones too), then the metadata. The metadata goes last
   * so that an interrupted erasure leaves a session its owner can still see and delete, never
   * orphaned turns under an id somebody else could claim. Deleting a missing session is a no-op.
   */
  async deleteSession(sessionId: string): Promise<void> {
    let startKey: Item | undefined;
    do {
      const page = await this.#call('deleteSession', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :turn)',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': sessionKey(sessionId), ':turn': str(TURN_PREFIX) },
            ProjectionExpression: '#pk, #sk',
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      const keys = (page.Items ?? []).map((item) => ({
        [PK]: item[PK] as AttributeValue,
        [SK]: item[SK] as AttributeValue,
      }));
      for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
        await this.#batchDelete(
          keys.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } })),
        );
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    await this.#call('deleteSession', () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: { [PK]: sessionKey(sessionId), [SK]: str(META_SK) },
        }),
      ),
    );
  }

  async #batchDelete(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new BackendUnavailableError('DynamoDB', {
            cause: new Error(
              `${pending.length} deletes stayed unprocessed after ${UNPROCESSED_RETRIES} retries`,
            ),
          });
        }
        // Unprocessed items mean throttling: back off exponentially with jitter, as AWS advises.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * Math.min(2_000, 50 * 2 ** attempt)),
        );
      }
      const result = await this.#call('deleteSession', () =>
        this.#client.send(new BatchWriteItemCommand({ RequestItems: { [this.#tableName]: pending } })),
      );
      pending = result.UnprocessedItems?.[this.#tableName] ?? [];
    }
  }

  /** Unexpired turns of a session; strongly consistent, so a follow-up sees the turn just stored. */
  #queryTurns(
    sessionId: string,
    input: Pick<QueryCommandInput, 'ScanIndexForward' | 'Limit' | 'ExclusiveStartKey'>,
  ) {
    return this.#call('query', () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :turn)',
          FilterExpression: '#ttl > :nowSec',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ttl': TTL },
          ExpressionAttributeValues: {
            ':pk': sessionKey(sessionId),
            ':turn': str(TURN_PREFIX),
            ':nowSec': num(Math.floor(this.#clock.now() / 1000)),
          },
          ConsistentRead: true,
          ...input,
        }),
      ),
    );
  }

  /** Runs an UpdateItem; undefined when its condition failed. */
  async #conditionalUpdate(
    operation: string,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'ReturnValues'>,
  ): Promise<Item | undefined> {
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({ TableName: this.#tableName, ReturnValues: 'ALL_NEW', ...input }),
      );
      return result.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw this.#mapped(operation, error);
    }
  }

  #ownerOf(item: Item, operation: string): string {
    const owner = readString(item, 'owner');
    if (owner === undefined)
      throw new SessionStoreError(
        `Session metadata in table '${this.#tableName}' has no owner.`,
        this.#tableName,
        operation,
      );
    return owner;
  }

  #expired(item: Item): boolean {
    const expiresAt = readNumber(item, TTL);
    return expiresAt !== undefined && expiresAt <= Math.floor(this.#clock.now() / 1000);
  }

  #toTurn(sessionId: string, item: Item): Turn {
    const sources = decodeSources(readString(item, 'sources'));
    const createdAt = readNumber(item, 'created_at');
    if (sources === undefined || createdAt === undefined) {
      throw new SessionStoreError(
        `Turn ${readString(item, SK) ?? '?'} of a session in table '${this.#tableName}' is malformed.`,
        this.#tableName,
        'read',
      );
    }
    return {
      sessionId,
      query: readString(item, 'query') ?? '',
      response: readString(item, 'response') ?? '',
      sources,
      createdAt,
    };
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.#mapped(operation, error);
    }
  }

  /** Throttling and unreachable endpoints (after the SDK's own retries) become a 503; the rest name the table. */
  #mapped(operation: string, error: unknown): Error {
    if (
      error instanceof BackendUnavailableError ||
      error instanceof SessionStoreError ||
      error instanceof InvalidParameterError
    )
      return error;
    if (isUnavailable(error)) return new BackendUnavailableError('DynamoDB', { cause: error });
    const name = errorName(error) || 'Error';
    const detail = error instanceof Error ? error.message : String(error);
    const message =
      name === 'ResourceNotFoundException'
        ? `Session table '${this.#tableName}' does not exist (${operation}); create it or fix the table name.`
        : `Session table '${this.#tableName}' refused ${operation}: ${name}: ${detail}`;
    return new SessionStoreError(message, this.#tableName, operation, { cause: error });
  }
}
