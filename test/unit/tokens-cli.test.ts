import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/auth/authenticate.js';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { parseDuration } from '../../src/cli/duration.js';
import { runTokensCommand } from '../../src/cli/tokens.js';

const T0 = Date.UTC(2026, 10, 1);
let dataDir: string;
let now = T0;
const clock = { now: () => now };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tokens-cli-'));
  now = T0;
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function tokens(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTokensCommand(['node', 'tokens', '--data-dir', dataDir, ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    clock,
  });
  return { code, out, err };
}

const store = () => new FileTokenStore(join(dataDir, 'tokens.json'));

describe('tokens CLI', () => {
  it('creates a token, printing it once alone on stdout, and stores only its hash', async () => {
    // Act
    const created = await tokens(
      'create',
      '--principal',
      'svc-nightly',
      '--scopes',
      'invoke,sessions:read',
      '--expires-in',
      '30d',
      '--namespace',
      'tenant-a',
    );

    // Assess
    expect(created.code).toBe(0);
    expect(created.out).toHaveLength(1);
    const token = created.out[0]!;
    expect(token).toMatch(/^dapi[0-9a-f]{40}$/);
    expect(created.err.join('\n')).not.toContain(token);
    expect(await readFile(join(dataDir, 'tokens.json'), 'utf8')).not.toContain(token);
    expect(await authenticate(token, store(), clock)).toEqual({
      id: 'svc-nightly',
      scopes: ['invoke', 'sessions:read'],
      namespace: 'tenant-a',
    });
    now += 30 * 86_400_000;
    expect(await authenticate(token, store(), clock)).toBeUndefined();
  });

  it('lists tokens with their status, never a token or a hash', async () => {
    // Prepare
    const first = (await tokens('create', '--principal', 'alice', '--comment', 'laptop')).out[0]!;
    await tokens('create', '--principal', 'bob', '--expires-in', '1h');
    now += 2 * 3_600_000;
    const [record] = await store().list();

    // Act
    const table = await tokens('list');
    const json = await tokens('list', '--json');

    // Assess
    const text = [...table.out, ...json.out].join('\n');
    expect(text).not.toContain(first);
    expect(text).not.toContain(record!.hash);
    expect(text).not.toContain(record!.salt);
    expect(table.out[0]).toMatch(/^TOKEN ID\s+PRINCIPAL\s+SCOPES\s+NAMESPACE\s+STATUS\s+EXPIRES\s+COMMENT$/);
    expect(JSON.parse(json.out[0]!)).toMatchObject([
      { principal: 'alice', scopes: ['invoke'], status: 'active', expires_at: null, comment: 'laptop' },
      { principal: 'bob', status: 'expired' },
    ]);
  });

  it('revokes by id, and exits 1 for an unknown id', async () => {
    // Prepare
    const token = (await tokens('create', '--principal', 'leaver')).out[0]!;
    const [record] = await store().list();

    // Act
    const revoked = await tokens('revoke', record!.tokenId);
    const unknown = await tokens('revoke', 'deadbeef');

    // Assess
    expect(revoked.code).toBe(0);
    expect(await authenticate(token, store(), clock)).toBeUndefined();
    expect(unknown.code).toBe(1);
    expect(unknown.err.join('\n')).toContain("no token with id 'deadbeef'");
  });

  it.each([
    [['create'], "required option '--principal <name>' not specified"],
    [['create', '--principal', 'a b'], 'use 1 to 128 letters'],
    [['create', '--principal', 'x', '--scopes', 'invoke,root'], 'unknown scope root'],
    [['create', '--principal', 'x', '--expires-in', 'soon'], 'e.g. 90m, 12h, 30d'],
    [['create', '--principal', 'x', '--namespace', 'a/b'], 'use 1 to 64 letters'],
  ])('refuses %j with a message that says what is wrong', async (args, message) => {
    // Act
    const result = await tokens(...args);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.err.join('\n')).toContain(message);
    expect(await store().list()).toEqual([]);
  });
});

describe('Function: parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['0d', undefined],
    ['1y', undefined],
    ['-1d', undefined],
    ['d', undefined],
  ])('reads %s as %s ms', (text, expected) => {
    // Act
    const ms = parseDuration(text);

    // Assess
    expect(ms).toBe(expected);
  });
});
