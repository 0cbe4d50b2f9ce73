/**
 * An optional capability of a vector index, kept apart from VectorIndex so that the serving path
 * never loads what describing needs (for Pinecone, its control-plane client): what the index was
 * created with, which ingestion checks against the embedding model before its first write.
 */
export interface IndexDescription {
  /** The index as a user knows it (a Pinecone index name or host), for messages. */
  readonly name: string;
  /** Vector length the index accepts; undefined when the index does not say. */
  readonly dimension?: number;
  /** Similarity metric (`cosine`, `dotproduct`, `euclidean`); undefined when the index does not say. */
  readonly metric?: string;
}

export interface IndexDescriber {
  describe(abortSignal?: AbortSignal): Promise<IndexDescription>;
}
