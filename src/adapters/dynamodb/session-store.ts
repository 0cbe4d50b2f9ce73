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
import type {
  Feedback,
  PageRequest,
  SessionRecords,
  SessionSummary,
  SessionSummaryPage,
  TurnPage,
} from '../../core/ports/session-records.js';
import type { Turn } from '../../core/ports/types.js';
import {
  DEFAULT_SESSION_TTL_DAYS,
  SESSION_OWNER_INDEX,
  SESSION_TABLE_KEYS,
  SESSION_TTL_ATTRIBUTE,
} from '../../shared/sessions.js';
import { dynamoFailure, malformedItem } from './dynamo-errors.js';
import { EnvVar } from '../../shared/env.js';
import {
  FEEDBACK_PREFIX,
  META_SK,
  SESSION_PREFIX,
  TURN_PREFIX,
  decodePageToken,
  decodeSessionPageToken,
  decodeSources,
  encodePageToken,
  encodeSessionPageToken,
  encodeSources,
  num,
  positivePageSize,
  readNumber,
  readString,
  sessionKey,
  str,
  timeOrderedKey,
  turnSortKey,
  type Item,
} from './session-items.js';

export interface DynamoSessionStoreOptions {
  readonly tableName: string;
  /** @default new DynamoDBClient({}) (region and credentials from the Lambda environment) */
  readonly client?: DynamoDBClient;
  /** @default systemClock */
  readonly clock?: Clock;
  /** How long a session and each turn live after their last write. @default DEFAULT_SESSION_TTL_DAYS */
  readonly ttlDays?: number;
}

/** @deprecated kept for existing callers: the port's `PageRequest`. */
export type ListTurnsOptions = PageRequest;
export type { TurnPage };

const { partitionKey: PK, sortKey: SK } = SESSION_TABLE_KEYS;
const TTL = SESSION_TTL_ATTRIBUTE;
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

/**
 * Session history in DynamoDB: one item per turn (items cap at 400 KB, a growing list would
 * not), one metadata item with the owning principal, and a TTL on every item. TTL deletion is
 * lazy (and dynalite never deletes), so every read filters out expired items itself.
 */
export class DynamoSessionStore implements SessionStore, SessionRecords {
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
   * Claims a new session, or refreshes the TTL of a live one that the same principal owns, in one
   * conditional UpdateItem that never writes to another principal's session (not even its TTL).
   * When the condition fails, a consistent read tells why: another principal's live session,
   * whose owner is returned untouched, or metadata that has expired but not yet been deleted,
   * which counts as absent (as it will once DynamoDB deletes it) and is claimed afresh.
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
      const key = { [PK]: sessionKey(sessionId), [SK]: str(META_SK) };
      const ours = await this.#conditionalUpdate('claim', {
        Key: key,
        UpdateExpression:
          'SET #owner = if_not_exists(#owner, :p), #created = if_not_exists(#created, :now), #ttl = :ttl',
        ConditionExpression:
          '(attribute_not_exists(#owner) OR #owner = :p) AND (attribute_not_exists(#ttl) OR #ttl > :nowSec)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      if (ours !== undefined) return this.#ownerOf(ours, 'claim');
      const current = await this.#readMeta(sessionId, 'claim');
      if (current !== undefined && !this.#expired(current)) {
        const owner = this.#ownerOf(current, 'claim');
        if (owner !== principal) return owner;
      } else if (current !== undefined) {
        const takenOver = await this.#conditionalUpdate('claim', {
          Key: key,
          UpdateExpression: 'SET #owner = :p, #created = :now, #ttl = :ttl',
          ConditionExpression: '#ttl <= :nowSec',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        });
        if (takenOver !== undefined) return this.#ownerOf(takenOver, 'claim');
      }
      // The metadata changed between our calls (created, revived or deleted): try again, not forever.
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
  async listTurns(sessionId: string, options: PageRequest): Promise<TurnPage> {
    const pageSize = positivePageSize(options.pageSize);
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
    const item = await this.#readMeta(sessionId, 'owner');
    if (item === undefined || this.#expired(item)) return undefined;
    return readString(item, 'owner');
  }

  /** The metadata item, strongly consistent: a request right after a claim must see it. */
  async #readMeta(sessionId: string, operation: string): Promise<Item | undefined> {
    const result = await this.#call(operation, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [PK]: sessionKey(sessionId), [SK]: str(META_SK) },
          ProjectionExpression: '#owner, #ttl',
          ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item;
  }

  /**
   * Erases a session: every turn and feedback item (expired ones too), then the metadata. The
   * metadata goes last so that an interrupted erasure leaves a session its owner can still see
   * and delete, never orphaned turns under an id somebody else could claim. Deleting a missing
   * session is a no-op.
   */
  async deleteSession(sessionId: string): Promise<void> {
    let startKey: Item | undefined;
    do {
      const page = await this.#call('deleteSession', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': sessionKey(sessionId) },
            ProjectionExpression: '#pk, #sk',
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      const keys = (page.Items ?? [])
        .filter((item) => readString(item, SK) !== META_SK)
        .map((item) => ({ [PK]: item[PK] as AttributeValue, [SK]: item[SK] as AttributeValue }));
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

  /**
   * One page of a principal's live sessions, newest first, from the owner index. A global index
   * is eventually consistent: on AWS a session created a moment ago may be missing for a moment.
   */
  async listSessions(principal: string, options: PageRequest): Promise<SessionSummaryPage> {
    const pageSize = positivePageSize(options.pageSize);
    let startKey: Item | undefined =
      options.pageToken === undefined ? undefined : decodeSessionPageToken(options.pageToken, principal);
    const sessions: SessionSummary[] = [];
    for (;;) {
      const page = await this.#call('listSessions', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            IndexName: SESSION_OWNER_INDEX.indexName,
            KeyConditionExpression: '#owner = :p',
            FilterExpression: '#ttl > :nowSec',
            ExpressionAttributeNames: { '#owner': SESSION_OWNER_INDEX.partitionKey, '#ttl': TTL },
            ExpressionAttributeValues: {
              ':p': str(principal),
              ':nowSec': num(Math.floor(this.#clock.now() / 1000)),
            },
            ScanIndexForward: false,
            // One more than the page needs tells whether a next page exists (see listTurns).
            Limit: pageSize - sessions.length + 1,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const last = sessions.at(-1);
        if (sessions.length === pageSize && last !== undefined)
          return { sessions, nextPageToken: encodeSessionPageToken(last) };
        sessions.push(this.#toSummary(item));
      }
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) return { sessions };
    }
  }

  /** Stores a rating in the session's partition (so erasure removes it), with the session's TTL. */
  async addFeedback(feedback: Feedback): Promise<string> {
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    const sortKey = timeOrderedKey(FEEDBACK_PREFIX, feedback.createdAt);
    await this.#call('addFeedback', () =>
      this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            [PK]: sessionKey(feedback.sessionId),
            [SK]: str(sortKey),
            // `author`, not `owner`: only metadata items may enter the owner index.
            author: str(feedback.principal),
            rating: num(feedback.rating),
            ...(feedback.comment !== undefined && { comment: str(feedback.comment) }),
            created_at: num(feedback.createdAt),
            [TTL]: num(nowSeconds + this.#ttlSeconds),
          },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': SK },
        }),
      ),
    );
    return sortKey.slice(FEEDBACK_PREFIX.length);
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
      throw malformedItem(this.#target(operation), `${readString(item, PK) ?? '?'} (no owner)`);
    return owner;
  }

  #expired(item: Item): boolean {
    const expiresAt = readNumber(item, TTL);
    return expiresAt !== undefined && expiresAt <= Math.floor(this.#clock.now() / 1000);
  }

  #toSummary(item: Item): SessionSummary {
    const key = readString(item, PK);
    const createdAt = readNumber(item, 'created_at');
    const expiresAt = readNumber(item, TTL);
    if (
      key === undefined ||
      !key.startsWith(SESSION_PREFIX) ||
      createdAt === undefined ||
      expiresAt === undefined
    ) {
      throw malformedItem(this.#target('listSessions'), key ?? '?');
    }
    return { sessionId: key.slice(SESSION_PREFIX.length), createdAt, expiresAt: expiresAt * 1000 };
  }

  #toTurn(sessionId: string, item: Item): Turn {
    const sources = decodeSources(readString(item, 'sources'));
    const createdAt = readNumber(item, 'created_at');
    if (sources === undefined || createdAt === undefined) {
      throw malformedItem(this.#target('read'), `${sessionId} ${readString(item, SK) ?? '?'}`);
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

  /** The one DynamoDB mapping (dynamo-errors.ts); a bad request of the caller passes through. */
  #mapped(operation: string, error: unknown): Error {
    if (error instanceof InvalidParameterError) return error;
    return dynamoFailure(error, this.#target(operation));
  }

  #target(operation: string) {
    return { role: 'Session', tableName: this.#tableName, setting: EnvVar.sessionTable, operation };
  }
}
