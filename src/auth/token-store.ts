import type { Scope } from './principal.js';

/** What is kept of a token: never the token itself, only its salted hash. */
export interface TokenRecord {
  readonly tokenId: string;
  readonly principal: string;
  readonly scopes: readonly Scope[];
  readonly salt: string;
  readonly hash: string;
  /** Epoch milliseconds; absent means no expiry. */
  readonly expiresAt?: number;
  readonly revoked?: boolean;
  /** Retrieval namespace the principal is bound to. */
  readonly namespace?: string;
  readonly comment?: string;
  readonly createdAt: number;
}

export interface TokenStore {
  find(tokenId: string): Promise<TokenRecord | undefined>;
  put(record: TokenRecord): Promise<void>;
  list(): Promise<readonly TokenRecord[]>;
  /** Marks a token revoked (its record stays, for the audit trail); false when there is no such token. */
  revoke(tokenId: string): Promise<boolean>;
}
