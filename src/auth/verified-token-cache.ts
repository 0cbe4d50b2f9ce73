import { createHash } from 'node:crypto';
import type { Clock } from '../core/ports/clock.js';
import type { Principal } from './principal.js';

export interface VerifiedTokenCacheOptions {
  /** How long a verified token is trusted without a look-up; 0 disables the cache. */
  readonly ttlMs: number;
  /** Least recently used entries go first beyond this. @default 1000 */
  readonly maxEntries?: number;
  readonly clock: Clock;
}

interface Entry {
  readonly principal: Principal;
  readonly expiresAt: number;
}

/**
 * Principals of recently verified tokens, inside one authorizer container: an LRU with a TTL.
 * Keys are SHA-256 digests, so the cache never holds a token itself. Only successes are cached
 * (a token created a moment ago works at once); the price is that a revocation takes effect
 * after at most the TTL. An entry never outlives the token's own expiry.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;

  constructor(options: VerifiedTokenCacheOptions) {
    if (!(options.ttlMs >= 0)) throw new RangeError(`ttlMs must be 0 or more, got ${options.ttlMs}.`);
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#clock = options.clock;
  }

  get(token: string): Principal | undefined {
    const key = digest(token);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#clock.now()) return undefined;
    // Re-inserting moves the entry to the end of the Map's order: most recently used.
    this.#entries.set(key, entry);
    return entry.principal;
  }

  set(token: string, principal: Principal, tokenExpiresAt?: number): void {
    if (this.#ttlMs === 0) return;
    const expiresAt = Math.min(this.#clock.now() + this.#ttlMs, tokenExpiresAt ?? Number.POSITIVE_INFINITY);
    const key = digest(token);
    this.#entries.delete(key);
    this.#entries.set(key, { principal, expiresAt });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');
