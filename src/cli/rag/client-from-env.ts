import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RagClient } from '../../client/index.js';
import type { CliIo } from './cli-io.js';

export interface ConnectionOptions {
  readonly url?: string;
  readonly endpoint?: string;
  readonly timeout?: number;
  readonly retries?: number;
}

const isSet = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/**
 * The client as the environment configures it (RAG_URL / RAG_TOKEN, else DATABRICKS_HOST /
 * DATABRICKS_TOKEN). With no server configured at all, the local server of this folder is meant:
 * `http://127.0.0.1:$PORT` and the token `npm start` saved under the data directory. That file is
 * read only then, so a local token is never sent to a server somebody configured elsewhere.
 */
export async function clientFromEnvironment(options: ConnectionOptions, io: CliIo): Promise<RagClient> {
  const { env } = io;
  const local = options.url === undefined && !isSet(env.RAG_URL) && !isSet(env.DATABRICKS_HOST);
  const baseUrl = options.url ?? (local ? `http://127.0.0.1:${env.PORT ?? 8080}` : undefined);
  const hasToken = isSet(env.RAG_TOKEN) || isSet(env.DATABRICKS_TOKEN);
  const token = local && !hasToken ? await localToken(env, io.cwd) : undefined;
  return new RagClient({
    env,
    ...(baseUrl !== undefined && { baseUrl }),
    ...(token !== undefined && { token }),
    ...(options.endpoint !== undefined && { endpointName: options.endpoint }),
    ...(options.timeout !== undefined && { timeoutMs: options.timeout * 1000 }),
    ...(options.retries !== undefined && { maxRetries: options.retries }),
  });
}

async function localToken(env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const path = resolve(cwd, env.RAG_DATA_DIR ?? '.rag', 'token');
  return readFile(path, 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
}
