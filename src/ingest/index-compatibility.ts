import type { Embedder } from '../core/ports/embedder.js';
import type { IndexDescription } from '../core/ports/index-description.js';

/**
 * Metrics that rank the embedders' vectors as intended: Bedrock's Titan v2 (normalized) and
 * Cohere vectors have unit length, so cosine and dot product give the same scores. Euclidean
 * would return distances (lower is better) where the pipeline expects similarities.
 */
const SIMILARITY_METRICS = ['cosine', 'dotproduct'];

/** The index cannot hold the embedder's vectors: a setup error that no retry fixes. */
export class IndexMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Throws IndexMismatchError, naming what to change, unless the index fits the embedder. */
export function assertIndexFits(index: IndexDescription, embedder: Pick<Embedder, 'dimensions'>): void {
  if (index.dimension !== undefined && index.dimension !== embedder.dimensions) {
    throw new IndexMismatchError(
      `The index '${index.name}' holds vectors of ${index.dimension} dimensions, but the embedding model ` +
        `produces ${embedder.dimensions}. Nothing was written. Create the index with dimension ` +
        `${embedder.dimensions} (metric cosine), or set the embedding dimensions to ${index.dimension} ` +
        `if the model supports it (BEDROCK_EMBEDDING_DIMENSIONS).`,
    );
  }
  if (index.metric !== undefined && !SIMILARITY_METRICS.includes(index.metric)) {
    throw new IndexMismatchError(
      `The index '${index.name}' uses the metric '${index.metric}', but the embedding model's vectors ` +
        `are compared by cosine similarity. Nothing was written. Create the index with metric cosine ` +
        `(dotproduct works too: the vectors are normalized).`,
    );
  }
}
