import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/ports/clock.js';
import { authenticate } from '../auth/authenticate.js';
import { issueToken } from '../auth/issue-token.js';
import { SCOPES } from '../auth/principal.js';
import type { TokenStore } from '../auth/token-store.js';

export const LOCAL_PRINCIPAL = 'local-user';

export interface LocalToken {
  readonly token: string;
  /** Where it came from, for the start-up banner. */
  readonly origin: 'RAG_TOKEN' | 'token file' | 'generated';
}

async function readTokenFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The local user's bearer token: `RAG_TOKEN` when set, else the one in `<dataDir>/token`, else a new
 * one written there with mode 0600. Either way the token store holds only its salted hash.
 */
export async function resolveLocalToken(options: {
  dataDir: string;
  envToken: string | undefined;
  store: TokenStore;
  clock: Clock;
}): Promise<LocalToken> {
  const { dataDir, envToken, store, clock } = options;
  const tokenFile = join(dataDir, 'token');
  const ensureRecord = async (token: string) => {
    if (await authenticate(token, store, clock)) return;
    await issueToken(store, clock, {
      principal: LOCAL_PRINCIPAL,
      scopes: SCOPES,
      token,
      comment: 'local user',
    });
  };
  if (envToken) {
    await ensureRecord(envToken);
    return { token: envToken, origin: 'RAG_TOKEN' };
  }
  const saved = await readTokenFile(tokenFile);
  if (saved) {
    await ensureRecord(saved);
    return { token: saved, origin: 'token file' };
  }
  const { token } = await issueToken(store, clock, {
    principal: LOCAL_PRINCIPAL,
    scopes: SCOPES,
    comment: 'local user',
  });
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { token, origin: 'generated' };
}
