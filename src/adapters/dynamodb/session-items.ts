import { randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidParameterError } from '../../core/errors.js';
import type { SessionSummary } from '../../core/ports/session-records.js';
import type { CitedSource } from '../../core/ports/types.js';
import { SESSION_OWNER_INDEX, SESSION_TABLE_KEYS } from '../../shared/sessions.js';
import { isRecord } from '../aws/aws-errors.js';

/**
 * How sessions are laid out in their table: key shapes, attribute encodings and page tokens.
 * The store reads and writes through these, so the layout is described in one place.
 */

const { partitionKey: PK, sortKey: SK } = SESSION_TABLE_KEYS;
export const META_SK = 'META';
export const TURN_PREFIX = 'TURN#';
export const FEEDBACK_PREFIX = 'FEEDBACK#';
export const SESSION_PREFIX = 'SESSION#';

// Tiny marshalling helpers: the low-level client keeps the Lambda bundle free of lib-dynamodb.
export const str = (value: string): AttributeValue => ({ S: value });
export const num = (value: number): AttributeValue => ({ N: String(value) });
export type Item = Record<string, AttributeValue>;

export function readString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

export function readNumber(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  return raw === undefined ? undefined : Number(raw);
}

export const sessionKey = (sessionId: string): AttributeValue => str(`${SESSION_PREFIX}${sessionId}`);

/**
 * `TURN#<13-digit epoch ms>#<random>`: sorts by creation time (zero padding keeps the string order
 * numeric until the year 2286), and the suffix keeps two turns of the same millisecond apart.
 */
export function turnSortKey(createdAt: number): string {
  return timeOrderedKey(TURN_PREFIX, createdAt);
}

export function timeOrderedKey(prefix: string, createdAt: number): string {
  const millis = String(Math.max(0, Math.trunc(createdAt))).padStart(13, '0');
  return `${prefix}${millis}#${randomBytes(8).toString('hex')}`;
}

/**
 * Sources are stored as one JSON string, not a list of maps: they are written and read whole,
 * never queried by field, a string costs fewer bytes of the 400 KB item budget than a
 * type-tagged map per source, and the shape can grow without touching the marshalling.
 */
export function encodeSources(sources: readonly CitedSource[]): string {
  return JSON.stringify(sources.map(({ id, source, score, text }) => ({ id, source, score, text })));
}

export function decodeSources(raw: string | undefined): CitedSource[] | undefined {
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
export function encodePageToken(sk: string): string {
  return Buffer.from(JSON.stringify({ sk }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.sk === 'string' && parsed.sk.startsWith(TURN_PREFIX))
      return parsed.sk;
  } catch {
    // Fall through: the caller sees one message for every kind of bad token.
  }
  throw new InvalidParameterError('page_token is not a token this service issued.');
}

export function positivePageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer, got ${pageSize}.`);
  return pageSize;
}

/** A session listing resumes after the last returned session: its id and creation time. */
export function encodeSessionPageToken(last: SessionSummary): string {
  return Buffer.from(JSON.stringify({ s: last.sessionId, c: last.createdAt }), 'utf8').toString('base64url');
}

/** The owner index's start key; the owner comes from the caller, never from the token. */
export function decodeSessionPageToken(token: string, principal: string): Item {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.s === 'string' && Number.isSafeInteger(parsed.c)) {
      return {
        [PK]: sessionKey(parsed.s),
        [SK]: str(META_SK),
        [SESSION_OWNER_INDEX.partitionKey]: str(principal),
        [SESSION_OWNER_INDEX.sortKey]: num(parsed.c as number),
      };
    }
  } catch {
    // Fall through: one message for every kind of bad token.
  }
  throw new InvalidParameterError('page_token is not a token this service issued.');
}
