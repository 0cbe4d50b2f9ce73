import type { QueryOptions, QueryResult, VectorQuery } from '../../core/ports/vector-index.js';
import { toPineconeFilter } from './pinecone-filter.js';
import { pineconeFailure } from './pinecone-errors.js';
import { PineconeHttp, type PineconeHttpOptions } from './pinecone-http.js';
import { toRetrievedChunk, type PineconeMetadata } from './pinecone-records.js';
import type { ApiKeySource } from './secret-api-key.js';

export interface PineconeRetrieverOptions extends PineconeHttpOptions {
  readonly apiKey: ApiKeySource;
  /** The index host, e.g. `my-index-abc123.svc.aped-1234.pinecone.io` (https assumed without a scheme). */
  readonly host?: string;
  /** The index name, when the host is not known: one control-plane call finds it. */
  readonly indexName?: string;
  /** Used when a call names no namespace (a principal without a tenant partition). @default '' */
  readonly namespace?: string;
  /** Pinecone's control plane, for `indexName`. @default 'https://api.pinecone.io' */
  readonly controlPlaneUrl?: string;
}

interface QueryResponse {
  readonly matches?: readonly { id: string; score?: number; metadata?: PineconeMetadata }[];
}

const withScheme = (host: string) => (/^https?:\/\//.test(host) ? host : `https://${host}`);

/**
 * Retrieval on Pinecone's data plane, as the serving path needs it: one dense query per request
 * (topK, an equality filter, a namespace per tenant), sent as the REST call the SDK makes
 * (`POST /query`, the same API version) without loading the SDK. Failures are classified by
 * pineconeFailure (outage or misconfiguration) with the Pinecone error as cause; past the
 * request's deadline, the deadline is reported.
 */
export class PineconeRetriever implements VectorQuery {
  private readonly http: PineconeHttp;
  private host: Promise<URL> | undefined;

  constructor(private readonly options: PineconeRetrieverOptions) {
    if (options.host === undefined && options.indexName === undefined)
      throw new Error('PineconeRetriever needs the index host or its name');
    this.http = new PineconeHttp(options);
  }

  async query(options: QueryOptions): Promise<QueryResult> {
    const { vector, topK, filter, abortSignal } = options;
    const pineconeFilter = toPineconeFilter(filter);
    try {
      const apiKey = await this.options.apiKey.get(abortSignal);
      const response = await this.http.json<QueryResponse>({
        url: new URL('/query', await this.indexHost(apiKey, abortSignal)),
        method: 'POST',
        apiKey,
        body: {
          vector,
          topK,
          namespace: options.namespace ?? this.options.namespace ?? '',
          includeMetadata: true,
          includeValues: false,
          ...(pineconeFilter && { filter: pineconeFilter }),
        },
        ...(abortSignal && { abortSignal }),
      });
      return { matches: (response.matches ?? []).map(toRetrievedChunk) };
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      throw pineconeFailure(error, { index: this.options.host ?? this.options.indexName ?? '(unnamed)' });
    }
  }

  /**
   * Finds the index host now when only its name is known, so the first query does not pay the
   * control-plane call (composition roots call this at init). A failure is not cached.
   */
  async resolveHost(): Promise<void> {
    if (this.options.host !== undefined) return;
    await this.indexHost(await this.options.apiKey.get(), undefined);
  }

  /** The index host: given, or looked up once by name (a failed look-up is tried again next time). */
  private indexHost(apiKey: string, abortSignal: AbortSignal | undefined): Promise<URL> {
    if (this.options.host !== undefined) return Promise.resolve(new URL(withScheme(this.options.host)));
    const lookup = (this.host ??= this.http
      .json<{ host: string }>({
        url: new URL(
          `/indexes/${encodeURIComponent(this.options.indexName ?? '')}`,
          this.options.controlPlaneUrl ?? 'https://api.pinecone.io',
        ),
        method: 'GET',
        apiKey,
        ...(abortSignal && { abortSignal }),
      })
      .then(({ host }) => new URL(withScheme(host))));
    lookup.catch(() => {
      if (this.host === lookup) this.host = undefined;
    });
    return lookup;
  }

  /** Closes idle connections. */
  destroy(): void {
    this.http.destroy();
  }
}
