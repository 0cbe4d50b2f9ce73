import type { Clock } from '../core/ports/clock.js';
import type { Scope } from './principal.js';
import type { TokenRecord, TokenStore } from './token-store.js';
import { generateToken, hashToken, newSalt, tokenIdOf } from './tokens.js';

export interface IssueTokenOptions {
  readonly principal: string;
  readonly scopes: readonly Scope[];
  /** Use this secret instead of minting one (e.g. the operator's `RAG_TOKEN`). */
  readonly token?: string;
  readonly lifetimeMs?: number;
  readonly namespace?: string;
  readonly comment?: string;
}

/** Stores the salted hash of a token and returns the token itself, which is never stored. */
export async function issueToken(
  store: TokenStore,
  clock: Clock,
  options: IssueTokenOptions,
): Promise<{ token: string; record: TokenRecord }> {
  const token = options.token ?? generateToken().token;
  const tokenId = tokenIdOf(token);
  if (tokenId === undefined) throw new Error('A token must be 1 to 256 characters without spaces.');
  const salt = newSalt();
  const now = clock.now();
  const record: TokenRecord = {
    tokenId,
    principal: options.principal,
    scopes: options.scopes,
    salt,
    hash: hashToken(token, salt),
    createdAt: now,
    ...(options.lifetimeMs !== undefined && { expiresAt: now + options.lifetimeMs }),
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    ...(options.comment !== undefined && { comment: options.comment }),
  };
  await store.put(record);
  return { token, record };
}
