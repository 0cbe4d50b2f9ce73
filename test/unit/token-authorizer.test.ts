import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { issueToken } from '../../src/auth/issue-token.js';
import { tokenAuthorizer, UNAUTHORIZED } from '../../src/auth/token-authorizer.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';

const METHOD_ARN =
  'arn:aws:execute-api:us-east-1:123456789012:api1/prod/POST/serving-endpoints/rag/invocations';

function manualClock(start = Date.UTC(2026, 10, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

let dir: string;
let store: FileTokenStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authorizer-'));
  store = new FileTokenStore(join(dir, 'tokens.json'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: tokenAuthorizer', () => {
  it('puts the principal, scopes and namespace into the context and allows the whole stage', async () => {
    // Prepare
    const clock = manualClock();
    const { token } = await issueToken(store, clock, {
      principal: 'tenant-a-bot',
      scopes: ['invoke', 'sessions:read'],
      namespace: 'tenant-a',
    });

    // Act
    const result = await tokenAuthorizer(
      store,
      clock,
    )({ authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN });

    // Assess
    expect(result.principalId).toBe('tenant-a-bot');
    expect(result.context).toEqual({ scopes: 'invoke,sessions:read', namespace: 'tenant-a' });
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:us-east-1:123456789012:api1/prod/*',
      },
    ]);
  });

  it('honours a revocation once the cached verification has expired, and not before', async () => {
    // Prepare
    const clock = manualClock();
    const cache = new VerifiedTokenCache({ ttlMs: 30_000, clock });
    const authorize = tokenAuthorizer(store, clock, { cache });
    const { token, record } = await issueToken(store, clock, { principal: 'leaver', scopes: ['invoke'] });
    const event = { authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN };
    await authorize(event);

    // Act
    await store.revoke(record.tokenId);
    const withinTtl = await authorize(event);
    clock.advance(30_000);
    const afterTtl = authorize(event);

    // Assess
    expect(withinTtl.principalId).toBe('leaver');
    await expect(afterTtl).rejects.toThrow(UNAUTHORIZED);
  });

  it('does not cache a refusal: a token created right after a failed attempt works at once', async () => {
    // Prepare
    const clock = manualClock();
    const authorize = tokenAuthorizer(store, clock, {
      cache: new VerifiedTokenCache({ ttlMs: 60_000, clock }),
    });
    const token = 'dapi0123abcd0123456789abcdef0123456789ab';
    const event = { authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN };
    const refused = authorize(event);
    await expect(refused).rejects.toThrow(UNAUTHORIZED);

    // Act
    await issueToken(store, clock, { principal: 'late', scopes: ['invoke'], token });
    const accepted = await authorize(event);

    // Assess
    expect(accepted.principalId).toBe('late');
  });

  it('refuses an expired token even when the store still has it', async () => {
    // Prepare
    const clock = manualClock();
    const { token } = await issueToken(store, clock, {
      principal: 'temp',
      scopes: ['invoke'],
      lifetimeMs: 1_000,
    });

    // Act
    clock.advance(1_000);
    const attempt = tokenAuthorizer(
      store,
      clock,
    )({ authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN });

    // Assess
    await expect(attempt).rejects.toThrow(UNAUTHORIZED);
  });
});

describe('Class: FileTokenStore', () => {
  it('keeps every record when many are written at once, and only hashes', async () => {
    // Prepare
    const clock = manualClock();

    // Act
    const issued = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        issueToken(store, clock, { principal: `p${i}`, scopes: ['invoke'] }),
      ),
    );

    // Assess
    expect((await store.list()).map((r) => r.principal).sort()).toEqual(
      issued.map((i) => i.record.principal).sort(),
    );
    const file = await readFile(join(dir, 'tokens.json'), 'utf8');
    for (const { token } of issued) expect(file).not.toContain(token);
  });

  it('revokes by id and says when there was nothing to revoke', async () => {
    // Prepare
    const { record } = await issueToken(store, manualClock(), { principal: 'p', scopes: ['invoke'] });

    // Act
    const revoked = await store.revoke(record.tokenId);
    const missing = await store.revoke('nope');

    // Assess
    expect(revoked).toBe(true);
    expect(missing).toBe(false);
    expect((await store.find(record.tokenId))?.revoked).toBe(true);
  });
});
