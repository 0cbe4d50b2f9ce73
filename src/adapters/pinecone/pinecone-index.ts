import type { MetadataValue, RetrievedChunk } from '../../core/ports/types.js';
import type { IndexedChunk, QueryOptions, QueryResult, VectorIndex } from '../../core/ports/vector-index.js';
import {
  openDataPlane,
  withCallSignal,
  type DataPlaneOptions,
  type PineconeDataPlane,
} from './data-plane.js';
import { toPineconeFilter } from './pinecone-filter.js';
import { PineconeLimits, batchesWithin } from './request-batches.js';
import type { ApiKeySource } from './secret-api-key.js';
import { pineconeFailure } from './pinecone-errors.js';

export interface PineconeVectorIndexOptions extends Omit<DataPlaneOptions, 'apiKey'> {
  readonly apiKey: ApiKeySource;
  /** Used when a call names no namespace (a principal without a tenant partition). @default '' */
  readonly namespace?: string;
}

/**
 * Chunk fields stored as Pinecone metadata beside the chunk's own metadata. Named so they cannot
 * be mistaken for the filterable fields (`source`, `path`, `doc_title`).
 */
const TEXT = 'chunk_text';
const TITLE = 'chunk_title';
const LOCATION = 'chunk_location';

type PineconeMetadata = Record<string, MetadataValue>;

function toRecord(chunk: IndexedChunk) {
  return {
    id: chunk.id,
    values: [...chunk.vector],
    metadata: { ...chunk.metadata, [TEXT]: chunk.text, [TITLE]: chunk.title, [LOCATION]: chunk.location },
  };
}

function toChunk(match: { id: string; score?: number; metadata?: PineconeMetadata }): RetrievedChunk {
  const { [TEXT]: text, [TITLE]: title, [LOCATION]: location, ...metadata } = match.metadata ?? {};
  return {
    id: match.id,
    score: match.score ?? 0,
    text: String(text ?? ''),
    title: String(title ?? ''),
    location: String(location ?? ''),
    metadata,
  };
}

/**
 * The vector index on Pinecone's data plane: dense queries with topK, an equality filter and a
 * namespace per tenant; upserts and deletes batched within Pinecone's request limits; ids listed
 * by prefix page by page. (Ranking is dense only: `QueryOptions.text` is not used here.)
 * Failures are classified by pineconeFailure (outage or misconfiguration) with the SDK error as
 * cause; past the request's deadline, the deadline is reported.
 */
export class PineconeVectorIndex implements VectorIndex {
  private client: { key: string; index: PineconeDataPlane } | undefined;

  constructor(private readonly options: PineconeVectorIndexOptions) {}

  async query(options: QueryOptions): Promise<QueryResult> {
    const { vector, topK, filter, abortSignal } = options;
    const namespace = options.namespace ?? this.options.namespace ?? '';
    const response = await this.call(abortSignal, (index) =>
      index.query({
        vector: [...vector],
        topK,
        namespace,
        includeMetadata: true,
        includeValues: false,
        ...(toPineconeFilter(filter) && { filter: toPineconeFilter(filter) }),
      }),
    );
    return { matches: response.matches.map((match) => toChunk(match as Parameters<typeof toChunk>[0])) };
  }

  async upsert(
    chunks: readonly IndexedChunk[],
    options: { readonly namespace?: string } = {},
  ): Promise<void> {
    const namespace = options.namespace ?? this.options.namespace ?? '';
    const batches = batchesWithin(chunks.map(toRecord), {
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
