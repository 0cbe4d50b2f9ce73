/** Token counts reported by a model call. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Metadata values a chunk carries and a filter can match by equality. */
export type MetadataValue = string | number | boolean;
export type MetadataFilter = Readonly<Record<string, MetadataValue>>;

/** A piece of a document as stored in a vector index. */
export interface Chunk {
  readonly id: string;
  readonly text: string;
  /** Document title plus heading path, indexed as its own field. */
  readonly title: string;
  /** Where the chunk came from, for citations: `<source>/<relative path>`. */
  readonly location: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

/** A chunk returned by retrieval, with its score (higher is better). */
export interface RetrievedChunk extends Chunk {
  readonly score: number;
}

/** One stored conversation turn. */
export interface Turn {
  readonly sessionId: string;
  readonly query: string;
  readonly response: string;
  readonly sources: readonly CitedSource[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** A source cited by an answer, as the wire protocol shows it. */
export interface CitedSource {
  readonly id: string;
  readonly source: string;
  readonly score: number;
  readonly text: string;
}
