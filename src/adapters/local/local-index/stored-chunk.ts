import type { MetadataValue, RetrievedChunk } from '../../../core/ports/types.js';
import type { IndexedChunk } from '../../../core/ports/vector-index.js';
import { tokenize } from '../tokenizer.js';
import { normOf } from '../vector-norm.js';

/**
 * A chunk written since the index file was last loaded, held whole in memory until the next write
 * of the file: its vector as float32 with its length precomputed for cosine, and its terms counted
 * for BM25.
 */
export interface StoredChunk {
  readonly id: string;
  readonly text: string;
  readonly title: string;
  readonly location: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
  readonly vector: Float32Array;
  readonly norm: number;
  readonly terms: TermCounts;
}

/** The distinct terms of a chunk, sorted, with how often each occurs in the text and in the title. */
export interface TermCounts {
  readonly terms: readonly string[];
  readonly text: Uint16Array;
  readonly title: Uint16Array;
  /** Terms in the text and in the title, counted with repeats: the field lengths of BM25. */
  readonly textLength: number;
  readonly titleLength: number;
}

const MAX_COUNT = 0xffff;

/** Counts the tokenizer's terms of a chunk's text and title. */
export function countTerms(title: string, text: string): TermCounts {
  const counts = new Map<string, [number, number]>();
  const textTerms = tokenize(text);
  const titleTerms = tokenize(title);
  for (const term of textTerms) {
    const entry = counts.get(term) ?? [0, 0];
    entry[0] = Math.min(MAX_COUNT, entry[0] + 1);
    counts.set(term, entry);
  }
  for (const term of titleTerms) {
    const entry = counts.get(term) ?? [0, 0];
    entry[1] = Math.min(MAX_COUNT, entry[1] + 1);
    counts.set(term, entry);
  }
  const terms = [...counts.keys()].sort();
  return {
    terms,
    text: Uint16Array.from(terms, (term) => (counts.get(term) as [number, number])[0]),
    title: Uint16Array.from(terms, (term) => (counts.get(term) as [number, number])[1]),
    textLength: textTerms.length,
    titleLength: titleTerms.length,
  };
}

/** Where `term` sits in the sorted terms of a chunk, or -1. */
export function termPosition(counts: TermCounts, term: string): number {
  let low = 0;
  let high = counts.terms.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = counts.terms[middle] as string;
    if (found === term) return middle;
    if (found < term) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
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
    terms: countTerms(chunk.title, chunk.text),
  };
}

/** A chunk as a query answers it, with its score and without its vector. */
export function toRetrieved(
  chunk: Pick<StoredChunk, 'id' | 'text' | 'title' | 'location' | 'metadata'>,
  score: number,
): RetrievedChunk {
  return {
    id: chunk.id,
    text: chunk.text,
    title: chunk.title,
    location: chunk.location,
    metadata: chunk.metadata,
    score,
  };
}
