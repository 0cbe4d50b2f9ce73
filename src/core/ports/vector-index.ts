import type { Chunk, MetadataFilter, RetrievedChunk } from './types.js';

export interface QueryOptions {
  /** The retrieval question, for lexical ranking. */
  readonly text: string;
  readonly vector: readonly number[];
  readonly topK: number;
  readonly filter?: MetadataFilter;
  /** Tenant partition; absent means the default namespace. */
  readonly namespace?: string;
  readonly abortSignal?: AbortSignal;
}

export interface QueryResult {
  readonly matches: readonly RetrievedChunk[];
}

export interface IndexedChunk extends Chunk {
  readonly vector: readonly number[];
}

/** What answering a question needs of an index: a query. */
export interface VectorQuery {
  query(options: QueryOptions): Promise<QueryResult>;
}

/** An index ingestion writes to and answering reads from. */
export interface VectorIndex extends VectorQuery {
  upsert(chunks: readonly IndexedChunk[], options?: { readonly namespace?: string }): Promise<void>;
  delete(ids: readonly string[], options?: { readonly namespace?: string }): Promise<void>;
  /** Ids that start with the prefix, so ingestion can find chunks of removed or edited files. */
  listIds(prefix: string, options?: { readonly namespace?: string }): Promise<readonly string[]>;
}
