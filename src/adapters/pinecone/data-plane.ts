import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
// The index-only data-plane class, on an internal path of the SDK: it skips the admin, assistant,
// inference and preview clients that the main entry loads (≈ 180 kB and ≈ 15 ms at cold start
// against ≈ 570 kB and ≈ 45 ms). The SDK is pinned exactly, and
// test/unit/pinecone-data-plane.test.ts fails if this path moves in another version.
import { Index } from '@pinecone-database/pinecone/dist/data/index.js';

export { Index as PineconeDataPlane };
export const PINECONE_DATA_PLANE_PATH = '@pinecone-database/pinecone/dist/data/index.js';

export interface DataPlaneOptions {
  /** The index host, e.g. `https://my-index-abc123.svc.aped-1234.pinecone.io`. */
  readonly host?: string;
  /** The index name, when the host is not known: the SDK then looks it up once (a control-plane call). */
  readonly indexName?: string;
  readonly apiKey: string;
  /** Retries of 5xx answers by the SDK itself (it never retries 429). @default 2 */
  readonly maxRetries?: number;
  /** Attempts per call when Pinecone throttles (429), with jittered backoff. @default 3 */
  readonly throttleAttempts?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * The SDK's calls take no abort signal, so the caller's signal travels with the async context of
 * the call and the fetch below picks it up: attempts (the SDK's own 5xx retries included) stop at
 * the request's deadline instead of running on after the caller gave up.
 */
const callSignal = new AsyncLocalStorage<AbortSignal>();

export function withCallSignal<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  return signal ? callSignal.run(signal, work) : work();
}

const THROTTLE_BASE_DELAY_MS = 100;

/**
 * fetch with the call's abort signal, retrying 429 with full-jitter exponential backoff (the
 * SDK retries only 5xx). A `Retry-After` longer than the call has left is not waited for.
 */
export function signalledFetch(base: typeof fetch, attempts: number): typeof fetch {
  return async (input, init) => {
    const signal = callSignal.getStore();
    const merged = signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal);
    for (let attempt = 1; ; attempt++) {
      const response = await base(input, { ...init, ...(merged && { signal: merged }) });
      if (response.status !== 429 || attempt >= attempts) return response;
      await response.body?.cancel();
      const retryAfterMs = Number(response.headers.get('retry-after') ?? 0) * 1000;
      const backoffMs = Math.random() * THROTTLE_BASE_DELAY_MS * 2 ** attempt;
      await sleep(Math.max(retryAfterMs, backoffMs), undefined, merged ? { signal: merged } : {});
    }
  };
}

/** A data-plane client for one index host; namespaces are chosen per call. */
export function openDataPlane(options: DataPlaneOptions): Index {
  return new Index(
    {
      ...(options.host !== undefined && { host: options.host }),
      ...(options.indexName !== undefined && { name: options.indexName }),
    },
    {
      apiKey: options.apiKey,
      maxRetries: options.maxRetries ?? 2,
      fetchApi: signalledFetch(options.fetch ?? globalThis.fetch, options.throttleAttempts ?? 3),
      sourceTag: 'rag_serving',
    },
  );
}
