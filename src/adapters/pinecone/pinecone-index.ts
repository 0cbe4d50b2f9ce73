import type { IndexedChunk, QueryOptions, QueryResult, VectorIndex } from '../../core/ports/vector-index.js';
import {
  openDataPlane,
  withCallSignal,
  type DataPlaneOptions,
  type PineconeDataPlane,
} from './data-plane.js';
import { toPineconeRecord } from './pinecone-records.js';
import { PineconeRetriever } from './pinecone-retriever.js';
import { PineconeLimits, batchesWithin } from './request-batches.js';
import type { ApiKeySource } from './secret-api-key.js';
import { pineconeFailure } from './pinecone-errors.js';

export interface PineconeVectorIndexOptions extends Omit<DataPlaneOptions, 'apiKey'> {
  readonly apiKey: ApiKeySource;
  /** Used when a call names no namespace (a principal without a tenant partition). @default '' */
  readonly namespace?: string;
}

/**
 * The vector index on Pinecone's data plane, as ingestion uses it: upserts and deletes batched
 * within Pinecone's request limits and ids listed by prefix page by page, through the SDK; queries
 * through PineconeRetriever (the serving path's REST call). Ranking is dense only
 * (`QueryOptions.text` is not used). Failures are classified by pineconeFailure (outage or
 * misconfiguration) with the SDK error as
 * cause; past the request's deadline, the deadline is reported.
 */
export class PineconeVectorIndex implements VectorIndex {
  private client: { key: string; index: PineconeDataPlane } | undefined;
  private readonly retriever: PineconeRetriever;

  constructor(private readonly options: PineconeVectorIndexOptions) {
    const { fetch: _, ...retrieval } = options;
    this.retriever = new PineconeRetriever(retrieval);
  }

  query(options: QueryOptions): Promise<QueryResult> {
    return this.retriever.query(options);
  }

  async upsert(
    chunks: readonly IndexedChunk[],
    options: { readonly namespace?: string } = {},
  ): Promise<void> {
    const namespace = options.namespace ?? this.options.namespace ?? '';
    const batches = batchesWithin(chunks.map(toPineconeRecord), {
      maxRecords: PineconeLimits.maxUpsertRecords,
      maxBytes: PineconeLimits.maxRequestBytes,
    });
    for (const records of batches)
      await this.call(undefined, (index) => index.upsert({ records, namespace }));
  }

  async delete(ids: readonly string[], options: { readonly namespace?: string } = {}): Promise<void> {
    const namespace = options.namespace ?? this.options.namespace ?? '';
    for (let i = 0; i < ids.length; i += PineconeLimits.maxDeleteIds) {
      const batch = ids.slice(i, i + PineconeLimits.maxDeleteIds);
      await this.call(undefined, (index) => index.deleteMany({ ids: batch, namespace }));
    }
  }

  async listIds(prefix: string, options: { readonly namespace?: string } = {}): Promise<readonly string[]> {
    const namespace = options.namespace ?? this.options.namespace ?? '';
    const ids: string[] = [];
    let paginationToken: string | undefined;
    do {
      const token = paginationToken;
      const page = await this.call(undefined, (index) =>
        index.listPaginated({ prefix, namespace, limit: 100, ...(token && { paginationToken: token }) }),
      );
      for (const item of page.vectors ?? []) if (item.id) ids.push(item.id);
      paginationToken = page.pagination?.next;
    } while (paginationToken);
    return ids;
  }

  private async call<T>(
    abortSignal: AbortSignal | undefined,
    work: (index: PineconeDataPlane) => Promise<T>,
  ): Promise<T> {
    try {
      const index = await this.dataPlane(abortSignal);
      return await withCallSignal(abortSignal, () => work(index));
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      throw pineconeFailure(error, { index: this.options.host ?? this.options.indexName ?? '(unnamed)' });
    }
  }

  /** One client per API key: a rotated key (re-read from Secrets Manager) gets a new one. */
  private async dataPlane(abortSignal: AbortSignal | undefined): Promise<PineconeDataPlane> {
    const key = await this.options.apiKey.get(abortSignal);
    if (this.client?.key !== key) {
      const { apiKey: _, namespace: __, ...dataPlane } = this.options;
      this.client = { key, index: openDataPlane({ ...dataPlane, apiKey: key }) };
    }
    return this.client.index;
  }
}
