import type { Clock } from '../core/ports/clock.js';
import type { Principal } from './principal.js';
import type { TokenStore } from './token-store.js';
import { tokenIdOf, tokenMatches } from './tokens.js';

/**
 * The token in an Authorization header: `Bearer <token>`, or `Basic` with user `token` and the
 * token as password, as Databricks accepts.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(0, colon) !== 'token') return undefined;
    return decoded.slice(colon + 1);
  }
  return undefined;
}

/** A token that checked out: whom it stands for, and until when (epoch ms; absent: no expiry). */
export interface VerifiedToken {
  readonly principal: Principal;
  readonly expiresAt?: number;
}

/** Verifies a token against its stored hash; undefined for a malformed, unknown, expired or revoked token. */
export async function verifyToken(
  token: string | undefined,
  store: TokenStore,
  clock: Clock,
): Promise<VerifiedToken | undefined> {
  const tokenId = token === undefined ? undefined : tokenIdOf(token);
  if (token === undefined || tokenId === undefined) return undefined;
  const record = await store.find(tokenId);
  if (!record || record.revoked) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= clock.now()) return undefined;
  if (!tokenMatches(token, record.salt, record.hash)) return undefined;
  return {
    principal: {
      id: record.principal,
      scopes: record.scopes,
      ...(record.namespace !== undefined && { namespace: record.namespace }),
    },
    ...(record.expiresAt !== undefined && { expiresAt: record.expiresAt }),
  };
}

/** The principal a token stands for, or undefined for a malformed, unknown, expired or revoked token. */
export async function authenticate(
  token: string | undefined,
  store: TokenStore,
  clock: Clock,
): Promise<Principal | undefined> {
  return (await verifyToken(token, store, clock))?.principal;
}
