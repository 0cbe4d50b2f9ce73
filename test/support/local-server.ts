import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/local/local-server.js';

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
