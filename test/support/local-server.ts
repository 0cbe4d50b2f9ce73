import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/local/local-server.js';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { issueToken, type IssueTokenOptions } from '../../src/auth/issue-token.js';
import { systemClock, type Clock } from '../../src/core/ports/clock.js';

export const SAMPLE_CORPUS = fileURLToPath(new URL('../../examples/corpus/', import.meta.url));
export const TEST_TOKEN = 'dapi0123abcd0123456789abcdef0123456789ab';

export interface TestServer extends LocalServer {
  readonly dataDir: string;
  readonly invocationsUrl: string;
  /** POSTs a JSON (or raw string) body to the invocations URL with the test token. */
  invoke(body: unknown, init?: { headers?: Record<string, string>; url?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/** A local server on a free port over a fresh data directory, with the sample corpus ingested. */
export async function startTestServer(options: Partial<LocalServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'rag-serving-test-')));
  const server = await startLocalServer({
    dataDir,
    port: 0,
    token: TEST_TOKEN,
    sampleCorpusDir: SAMPLE_CORPUS,
    inMemorySessions: true,
    ...options,
  });
  const invocationsUrl = `${server.url}/serving-endpoints/${server.endpointName}/invocations`;
  return {
    ...server,
    dataDir,
    invocationsUrl,
    invoke: (body, init = {}) =>
      fetch(init.url ?? invocationsUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TEST_TOKEN}`,
          ...init.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    stop: async () => {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Mints a token in the server's own token store (the file the token CLI writes) and returns it. */
export async function issueTestToken(
  server: Pick<TestServer, 'dataDir'>,
  options: Omit<IssueTokenOptions, 'scopes'> & { scopes?: IssueTokenOptions['scopes'] },
  clock: Clock = systemClock,
): Promise<{ token: string; tokenId: string }> {
  const store = new FileTokenStore(join(server.dataDir, 'tokens.json'));
  const { token, record } = await issueToken(store, clock, { scopes: ['invoke'], ...options });
  return { token, tokenId: record.tokenId };
}

/** Revokes a token in the server's token store. */
export async function revokeTestToken(server: Pick<TestServer, 'dataDir'>, tokenId: string): Promise<void> {
  await new FileTokenStore(join(server.dataDir, 'tokens.json')).revoke(tokenId);
}

/** A request to the server with a bearer token (or none); JSON bodies are sent as JSON. */
export function call(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}
