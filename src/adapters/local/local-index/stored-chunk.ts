import type { MetadataValue, RetrievedChunk } from '../../../core/ports/types.js';
import type { IndexedChunk } from '../../../core/ports/vector-index.js';
import { normOf } from '../vector-norm.js';

/** A chunk as the index holds it in memory: its vector as float32, with its length precomputed for cosine. */
export interface StoredChunk {
  readonly id: string;
  readonly text: string;
  readonly title: string;
  readonly location: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
  readonly vector: Float32Array;
  readonly norm: number;
}

/** The port's chunk as the index keeps it; the metadata is copied, so later changes to the input stay out. */
export function toStored(chunk: IndexedChunk): StoredChunk {
  const vector = Float32Array.from(chunk.vector);
  return {
    id: chunk.id,
    text: chunk.text,
    title: chunk.title,
    location: chunk.location,
    metadata: { ...chunk.metadata },
    vector,
    norm: normOf(vector),
  };
}

/** A stored chunk as a query answers it, with its score and without its vector. */
export function toRetrieved(chunk: StoredChunk, score: number): RetrievedChunk {
  return {
    id: chunk.id,
    text: chunk.text,
    title: chunk.title,
    location: chunk.location,
    metadata: chunk.metadata,
    score,
  };
}
