import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Databricks personal access tokens start with `dapi`; ours do too, so secret scanners recognize them. */
export const TOKEN_PREFIX = 'dapi';
const TOKEN_PATTERN = /^dapi([0-9a-f]{8})([0-9a-f]{32})$/;

/** A freshly minted token: the secret is shown once, only the record is stored. */
export interface IssuedToken {
  readonly token: string;
  readonly tokenId: string;
}

export function generateToken(): IssuedToken {
  const tokenId = randomBytes(4).toString('hex');
  return { token: `${TOKEN_PREFIX}${tokenId}${randomBytes(16).toString('hex')}`, tokenId };
}

const MAX_TOKEN_LENGTH = 256;

/**
 * The id used to look a token's record up: the public id inside our own tokens, or a digest for a
 * token chosen by the operator (e.g. `RAG_TOKEN`). Undefined for something that cannot be a token.
 */
export function tokenIdOf(token: string): string | undefined {
  const embedded = TOKEN_PATTERN.exec(token)?.[1];
  if (embedded) return embedded;
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || /\s/.test(token)) return undefined;
  return `x${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/**
 * Tokens carry 128 random bits, so a salted SHA-256 is enough (as for GitHub tokens); a slow
 * password hash would only add latency to every authorizer call.
 */
export function hashToken(token: string, salt: string): string {
  return createHash('sha256').update(salt).update(token).digest('hex');
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

export function tokenMatches(token: string, salt: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashToken(token, salt), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
