import { RagConfigurationError } from './errors.js';
import type { RagClientOptions } from './types.js';

/** Where requests go and how they are authorized. */
export interface Connection {
  /** No trailing slash. */
  readonly baseUrl: string;
  readonly token: string;
  readonly endpointName: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const processEnv = (): Env => (globalThis as { process?: { env?: Env } }).process?.env ?? {};

/** Empty variables count as unset, as in a shell `export RAG_URL=`. */
const firstSet = (...values: (string | undefined)[]): string | undefined =>
  values.find((value) => value !== undefined && value.trim() !== '')?.trim();

/** A Databricks host may come without a scheme (`adb-123.azuredatabricks.net`), as its SDK allows. */
function normalizeBaseUrl(url: string): string {
  const withScheme = /^https?:\/\//i.test(url) ? url : `https://${url}`;
  try {
    new URL(withScheme);
  } catch (error) {
    throw new RagConfigurationError(
      `'${url}' is not a URL; set the server's base URL, e.g. http://127.0.0.1:8080.`,
      {
        cause: error,
      },
    );
  }
  return withScheme.replace(/\/+$/, '');
}

/**
 * Options first, then `RAG_URL` / `RAG_TOKEN`, then `DATABRICKS_HOST` / `DATABRICKS_TOKEN`, so a
 * machine set up for Databricks Model Serving works unchanged. The endpoint name comes from
 * `RAG_ENDPOINT_NAME`, else `rag`.
 */
export function resolveConnection(options: RagClientOptions): Connection {
  const env = options.env ?? processEnv();
  const baseUrl = firstSet(options.baseUrl, env.RAG_URL, env.DATABRICKS_HOST);
  if (baseUrl === undefined) {
    throw new RagConfigurationError(
      'No server URL: pass baseUrl, or set RAG_URL (or DATABRICKS_HOST), e.g. RAG_URL=http://127.0.0.1:8080.',
    );
  }
  const token = firstSet(options.token, env.RAG_TOKEN, env.DATABRICKS_TOKEN);
  if (token === undefined) {
    throw new RagConfigurationError(
      'No token: pass token, or set RAG_TOKEN (or DATABRICKS_TOKEN); a local server keeps its token in .rag/token.',
    );
  }
  const endpointName = firstSet(options.endpointName, env.RAG_ENDPOINT_NAME) ?? 'rag';
  return { baseUrl: normalizeBaseUrl(baseUrl), token, endpointName };
}
