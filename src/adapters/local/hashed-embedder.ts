import type { EmbedOptions, EmbedResult, Embedder } from '../../core/ports/embedder.js';
import { tokenize } from './tokenizer.js';
import { normOf } from './vector-norm.js';
import { countWords } from '../../text/words.js';

export { countWords };

export interface HashedEmbedderOptions {
  /** Length of every vector. @default 384 */
  readonly dimensions?: number;
}

export class InvalidEmbedderOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * How much each feature family counts. Words carry the meaning; bigrams add a little
 * phrase order; character n-grams let `configure` meet `configuration` and survive
 * typos, but there are many of them per word, so each one counts less. Tuned on the
 * labeled questions: heavier bigrams or n-grams lowered recall.
 */
const FEATURE_WEIGHT = { word: 1, bigram: 0.3, ngram: 0.25 } as const;
/** Upper bound of the per-instance memo of word → character n-gram buckets. */
const MAX_CACHED_WORDS = 50_000;

/**
 * A deterministic local embedder that needs no model download: the hashing trick over
 * word unigrams, word bigrams and character 3/4-grams, with sublinear term frequency and
 * L2 normalization, so cosine similarity is a dot product. It is a lexical model in
 * vector form, and weaker than BM25 (DESIGN 4b); it exists so the local path exercises
 * the same Embedder and VectorIndex ports as Bedrock and Pinecone.
 */
export class HashedEmbedder implements Embedder {
  readonly dimensions: number;
  /** Character n-gram buckets per word; vocabularies repeat, so this saves most hashing. */
  private readonly ngramBuckets = new Map<string, Int32Array>();

  constructor(options: HashedEmbedderOptions = {}) {
    const dimensions = options.dimensions ?? 384;
    if (!Number.isInteger(dimensions) || dimensions < 8) {
      throw new InvalidEmbedderOptionsError(`dimensions must be an integer of at least 8, got ${dimensions}`);
    }
    this.dimensions = dimensions;
  }

  async embed(options: EmbedOptions): Promise<EmbedResult> {
    options.abortSignal?.throwIfAborted();
    // Queries and documents are embedded alike: the features are symmetric.
    const vectors = options.texts.map((text) => this.vectorFor(text));
    const inputTokens = options.texts.reduce((sum, text) => sum + countWords(text), 0);
    return { vectors, usage: { inputTokens, outputTokens: 0 } };
  }

  /** The L2-normalized vector of one text; all zeros when the text has no terms. */
  vectorFor(text: string): number[] {
    const vector = new Float64Array(this.dimensions);
    const terms = tokenize(text);

    for (const [word, count] of countOccurrences(terms)) {
      const weight = sublinear(count);
      this.addFeature(vector, `w:${word}`, weight * FEATURE_WEIGHT.word);
      const ngramWeight = weight * FEATURE_WEIGHT.ngram;
      for (const signedBucket of this.ngramBucketsOf(word)) {
        const bucket = Math.abs(signedBucket) - 1;
        vector[bucket] = (vector[bucket] as number) + Math.sign(signedBucket) * ngramWeight;
      }
    }
    const bigrams = terms.slice(1).map((term, i) => `b:${terms[i] as string} ${term}`);
    for (const [bigram, count] of countOccurrences(bigrams)) {
      this.addFeature(vector, bigram, sublinear(count) * FEATURE_WEIGHT.bigram);
    }
    return normalized(vector);
  }

  private addFeature(vector: Float64Array, feature: string, weight: number): void {
    const { bucket, sign } = this.bucketOf(feature);
    vector[bucket] = (vector[bucket] as number) + sign * weight;
  }

  /**
   * Buckets of the character 3- and 4-grams of `<word>`, with the sign folded into the
   * value: bucket + 1, negated when the feature's sign is -1.
   */
  private ngramBucketsOf(word: string): Int32Array {
    const cached = this.ngramBuckets.get(word);
    if (cached) return cached;
    const padded = `<${word}>`;
    const buckets: number[] = [];
    for (const size of [3, 4]) {
      for (let start = 0; start + size <= padded.length; start++) {
        const { bucket, sign } = this.bucketOf(`c:${padded.slice(start, start + size)}`);
        buckets.push(sign * (bucket + 1));
      }
    }
    const signedBuckets = Int32Array.from(buckets);
    // Clearing is cruder than LRU eviction but keeps the memo bounded at no bookkeeping cost.
    if (this.ngramBuckets.size >= MAX_CACHED_WORDS) this.ngramBuckets.clear();
    this.ngramBuckets.set(word, signedBuckets);
    return signedBuckets;
  }

  private bucketOf(feature: string): { bucket: number; sign: 1 | -1 } {
    const hash = mix(fnv1a(feature));
    // The signed hashing trick: collisions cancel out on average instead of piling up.
    return { bucket: (hash >>> 1) % this.dimensions, sign: hash & 1 ? -1 : 1 };
  }
}

function countOccurrences(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

function sublinear(count: number): number {
  return 1 + Math.log(count);
}

function normalized(vector: Float64Array): number[] {
  const norm = normOf(vector);
  return Array.from(vector, (value) => (norm === 0 ? 0 : value / norm));
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Murmur3's finalizer: FNV's low bits are weak, and the bucket and sign come from them. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
