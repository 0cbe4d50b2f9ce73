import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const alice: Principal = { id: 'alice', scopes: ['invoke'] };
const bob: Principal = { id: 'bob', scopes: ['invoke'] };

describe('Class: VerifiedTokenCache', () => {
  it('serves a verified token until its TTL has passed', () => {
    // Prepare
    const clock = manualClock();
    const cache = new VerifiedTokenCache({ ttlMs: 30_000, clock });
    cache.set('token-a', alice);

    // Act
    clock.advance(29_999);
    const fresh = cache.get('token-a');
    clock.advance(1);
    const stale = cache.get('token-a');

    // Assess
    expect(fresh).toEqual(alice);
    expect(stale).toBeUndefined();
  });

  it("never outlives the token's own expiry", () => {
    // Prepare
    const clock = manualClock();
    const cache = new VerifiedTokenCache({ ttlMs: 60_000, clock });
    cache.set('token-a', alice, clock.now() + 5_000);

    // Act
    clock.advance(5_000);

    // Assess
    expect(cache.get('token-a')).toBeUndefined();
  });

  it('drops the least recently used entry beyond its size', () => {
    // Prepare
    const clock = manualClock();
    const cache = new VerifiedTokenCache({ ttlMs: 60_000, maxEntries: 2, clock });
    cache.set('token-a', alice);
    cache.set('token-b', bob);
    cache.get('token-a');

    // Act
    cache.set('token-c', bob);

    // Assess
    expect(cache.size).toBe(2);
    expect(cache.get('token-a')).toEqual(alice);
    expect(cache.get('token-b')).toBeUndefined();
    expect(cache.get('token-c')).toEqual(bob);
  });

  it('caches nothing with a TTL of 0', () => {
    // Prepare
    const cache = new VerifiedTokenCache({ ttlMs: 0, clock: manualClock() });

    // Act
    cache.set('token-a', alice);

    // Assess
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
