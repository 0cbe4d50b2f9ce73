import type { MetadataFilter, MetadataValue } from '../../../core/ports/types.js';
import type { QueryOptions } from '../../../core/ports/vector-index.js';
import { tokenize } from '../tokenizer.js';
import { normOf } from '../vector-norm.js';
import { VectorDimensionMismatchError } from './errors.js';
import type { NamespaceState } from './namespace-state.js';
import type { StoredChunk } from './stored-chunk.js';
import { termPosition } from './stored-chunk.js';

/**
 * Ranking within one namespace: BM25F over the chunk text and the title (document title plus
 * heading path) as two fields, and cosine similarity, each divided by its best score, combined by
 * weighted score fusion.
 *
 * BM25 is computed term at a time into one dense array of scores over the namespace's chunks:
 * every posting of every query term is visited once, with typed arrays and no allocation per
 * posting. That is fast enough at 100k chunks that early termination (WAND, MaxScore) is not needed.
 */

/** Which scores rank results: BM25, cosine similarity, or a weighted fusion of both. */
export type RankingMode = 'hybrid' | 'lexical' | 'vector';

export interface Bm25Parameters {
  /** Term frequency saturation. */
  readonly k1: number;
  /** Length normalization of the text field, 0–1. */
  readonly b: number;
  /** Length normalization of the title field, 0–1. */
  readonly titleB: number;
}

export interface RankingSettings {
  readonly mode: RankingMode;
  /** Share of the cosine score in the hybrid fused score, 0–1; BM25 gets the rest. */
  readonly vectorWeight: number;
  /** Weight of a title occurrence relative to a text occurrence (BM25F field weight). */
  readonly titleBoost: number;
  readonly bm25: Bm25Parameters;
  /** Pseudo-relevance feedback: expand the question with terms of the best chunks, then rank again. */
  readonly feedback?: FeedbackSettings;
  /** At most this many chunks of one document in a result. */
  readonly perDocument?: number;
}

export interface FeedbackSettings {
  /** Chunks of the first ranking the expansion terms come from. */
  readonly chunks: number;
  /** Expansion terms added to the question. */
  readonly terms: number;
  /** Weight of the strongest expansion term relative to a question term (1). */
  readonly weight: number;
}

/** A chunk of the namespace: `doc` < segment count is a segment chunk, the rest index `added`. */
export interface Ranked {
  readonly doc: number;
  readonly score: number;
}

export interface RankingInput {
  readonly state: NamespaceState;
  /** The namespace's added chunks in a fixed order: doc `segmentCount + i` is `added[i]`. */
  readonly added: readonly StoredChunk[];
  readonly query: Pick<QueryOptions, 'text' | 'vector' | 'topK' | 'filter'>;
  readonly settings: RankingSettings;
  /** Length of the index's vectors, if known. */
  readonly dimensions: number | undefined;
}

/** The `topK` best chunks that pass the metadata filter, best first, with their fused scores. */
export async function rankChunks(input: RankingInput): Promise<Ranked[]> {
  const { state, added, query, settings } = input;
  const segmentCount = state.segment?.count ?? 0;
  const total = segmentCount + added.length;
  const accepts = acceptance(input, query.filter);
  const { lexical, vector } = fusionWeights(settings.mode, settings.vectorWeight);
  const fused = new Float64Array(total);
  if (lexical > 0) {
    let scores = lexicalScores(input);
    if (settings.feedback) {
      scores = lexicalScores(input, await expandedQuery(input, scores, accepts, settings.feedback));
    }
    addNormalized(fused, scores, lexical, accepts);
  }
  if (vector > 0) {
    const scores = await cosineScores(input);
    addNormalized(fused, scores, vector, accepts);
  }
  const ids = (doc: number) =>
    doc < segmentCount ? (state.segment?.ids[doc] as string) : (added[doc - segmentCount] as StoredChunk).id;
  if (settings.perDocument === undefined) return selectTop(fused, query.topK, ids);
  const perDocument = settings.perDocument;
  const location = (doc: number) =>
    doc < segmentCount
      ? (state.segment?.locations[doc] as string)
      : (added[doc - segmentCount] as StoredChunk).location;
  const taken = new Map<string, number>();
  const diverse: Ranked[] = [];
  for (const entry of selectTop(fused, query.topK * 10, ids)) {
    const seen = taken.get(location(entry.doc)) ?? 0;
    if (seen >= perDocument) continue;
    taken.set(location(entry.doc), seen + 1);
    diverse.push(entry);
    if (diverse.length === query.topK) break;
  }
  return diverse;
}

/**
 * Pseudo-relevance feedback: the question's terms, plus the terms that weigh most in the best
 * chunks of a first ranking (frequency in the chunk × the chunk's relative score × IDF).
 */
async function expandedQuery(
  input: RankingInput,
  scores: Float64Array,
  accepts: (doc: number) => boolean,
  feedback: FeedbackSettings,
): Promise<Map<string, number>> {
  const { state, added } = input;
  const segment = state.segment;
  const segmentCount = segment?.count ?? 0;
  const weights = queryTermWeights(input.query.text);
  const masked = Float64Array.from(scores, (score, doc) => (accepts(doc) ? score : 0));
  const top = selectTop(masked, feedback.chunks, (doc) => String(doc).padStart(12, '0'));
  const best = top[0]?.score ?? 0;
  if (best <= 0) return weights;
  const count = Math.max(state.count, 1);
  const documentFrequency = (term: string): number => {
    const number = segment?.terms.get(term);
    const inSegment =
      number === undefined
        ? 0
        : (segment?.postingStart[number + 1] as number) - (segment?.postingStart[number] as number);
    return inSegment + added.filter((chunk) => termPosition(chunk.terms, term) >= 0).length;
  };
  const evidence = new Map<string, number>();
  for (const { doc, score } of top) {
    const passage =
      doc < segmentCount
        ? await (segment as NonNullable<typeof segment>).passage(doc)
        : (added[doc - segmentCount] as StoredChunk);
    const terms = tokenize(`${passage.title} ${passage.text}`);
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, n] of counts) {
      evidence.set(term, (evidence.get(term) ?? 0) + (n / terms.length) * (score / best));
    }
  }
  const candidates = [...evidence]
    .filter(([term]) => !weights.has(term))
    .map(([term, value]) => [term, value * Math.log(count / Math.max(documentFrequency(term), 1))] as const)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, feedback.terms);
  const strongest = candidates[0]?.[1] ?? 0;
  for (const [term, value] of candidates) weights.set(term, (feedback.weight * value) / strongest);
  return weights;
}

/** How much each score counts in the fused score, by ranking mode. */
function fusionWeights(mode: RankingMode, vectorWeight: number): { lexical: number; vector: number } {
  if (mode === 'lexical') return { lexical: 1, vector: 0 };
  if (mode === 'vector') return { lexical: 0, vector: 1 };
  return { lexical: 1 - vectorWeight, vector: vectorWeight };
}

/** Adds `weight × score / best` for every accepted chunk with a positive score. */
function addNormalized(
  fused: Float64Array,
  scores: Float64Array,
  weight: number,
  accepts: (doc: number) => boolean,
): void {
  let best = 0;
  for (let doc = 0; doc < scores.length; doc++) {
    const score = scores[doc] as number;
    if (score > best && accepts(doc)) best = score;
  }
  if (best <= 0) return;
  for (let doc = 0; doc < scores.length; doc++) {
    const score = scores[doc] as number;
    if (score > 0 && accepts(doc)) fused[doc] = (fused[doc] as number) + (weight * score) / best;
  }
}

/** BM25F of every live chunk; 0 for chunks that share no term with the query. */
export function lexicalScores(
  input: Pick<RankingInput, 'state' | 'added' | 'query' | 'settings'>,
  weights: ReadonlyMap<string, number> = queryTermWeights(input.query.text),
): Float64Array {
  const { state, added } = input;
  const { k1, b, titleB } = input.settings.bm25;
  const titleWeight = input.settings.titleBoost;
  const segment = state.segment;
  const segmentCount = segment?.count ?? 0;
  const scores = new Float64Array(segmentCount + added.length);
  const count = state.count;
  if (count === 0) return scores;
  const averageText = Math.max(state.totalTextLength / count, 1e-9);
  const averageTitle = Math.max(state.totalTitleLength / count, 1e-9);
  const deleted = state.deleted;
  const saturate = (text: number, textLength: number, title: number, titleLength: number): number => {
    const weighted =
      text / (1 - b + (b * textLength) / averageText) +
      (titleWeight * title) / (1 - titleB + (titleB * titleLength) / averageTitle);
    return (weighted * (k1 + 1)) / (weighted + k1);
  };

  for (const [term, queryWeight] of weights) {
    const number = segment?.terms.get(term);
    const from = number === undefined ? 0 : (segment?.postingStart[number] as number);
    const to = number === undefined ? 0 : (segment?.postingStart[number + 1] as number);
    // Document frequency over live chunks: the segment's list less deleted chunks, plus added ones.
    let frequency = 0;
    if (segment && number !== undefined) {
      if (deleted) {
        for (let p = from; p < to; p++) if (deleted[segment.postingDoc[p] as number] === 0) frequency++;
      } else {
        frequency = to - from;
      }
    }
    const positions = added.map((chunk) => termPosition(chunk.terms, term));
    for (const position of positions) if (position >= 0) frequency++;
    if (frequency === 0) continue;
    const idf = queryWeight * Math.log(1 + (count - frequency + 0.5) / (frequency + 0.5));

    if (segment && number !== undefined) {
      const { postingDoc, postingText, postingTitle, textLength, titleLength } = segment;
      for (let p = from; p < to; p++) {
        const doc = postingDoc[p] as number;
        if (deleted && deleted[doc] === 1) continue;
        scores[doc] =
          (scores[doc] as number) +
          idf *
            saturate(
              postingText[p] as number,
              textLength[doc] as number,
              postingTitle[p] as number,
              titleLength[doc] as number,
            );
      }
    }
    positions.forEach((position, i) => {
      if (position < 0) return;
      const { terms } = added[i] as StoredChunk;
      const doc = segmentCount + i;
      scores[doc] =
        (scores[doc] as number) +
        idf *
          saturate(
            terms.text[position] as number,
            terms.textLength,
            terms.title[position] as number,
            terms.titleLength,
          );
    });
  }
  return scores;
}

/** Every distinct term of the question, weighing 1. */
export function queryTermWeights(text: string): Map<string, number> {
  return new Map(tokenize(text).map((term) => [term, 1]));
}

/** Positive cosine similarities of every live chunk's vector with the query vector. */
async function cosineScores(input: RankingInput): Promise<Float64Array> {
  const { state, added, query, dimensions } = input;
  const queryVector = query.vector;
  if (dimensions !== undefined && queryVector.length !== dimensions) {
    throw new VectorDimensionMismatchError(dimensions, queryVector.length, 'The query vector');
  }
  const segment = state.segment;
  const segmentCount = segment?.count ?? 0;
  const scores = new Float64Array(segmentCount + added.length);
  const queryNorm = normOf(queryVector);
  if (queryNorm === 0) return scores;
  const q = Float32Array.from(queryVector);
  const length = q.length;
  if (segment && segmentCount > 0) {
    const vectors = await segment.vectors();
    const deleted = state.deleted;
    for (let doc = 0; doc < segmentCount; doc++) {
      const norm = segment.norms[doc] as number;
      if (norm === 0 || (deleted && deleted[doc] === 1)) continue;
      let dot = 0;
      const offset = doc * length;
      for (let i = 0; i < length; i++) dot += (q[i] as number) * (vectors[offset + i] as number);
      const cosine = dot / (queryNorm * norm);
      if (cosine > 0) scores[doc] = cosine;
    }
  }
  added.forEach((chunk, i) => {
    if (chunk.norm === 0) return;
    let dot = 0;
    for (let j = 0; j < length; j++) dot += (q[j] as number) * (chunk.vector[j] as number);
    const cosine = dot / (queryNorm * chunk.norm);
    if (cosine > 0) scores[segmentCount + i] = cosine;
  });
  return scores;
}

/** Whether a chunk passes the metadata equality filter. */
function acceptance(input: RankingInput, filter: MetadataFilter | undefined): (doc: number) => boolean {
  const entries = Object.entries(filter ?? {});
  const segment = input.state.segment;
  const segmentCount = segment?.count ?? 0;
  const metadataOf = (doc: number): Readonly<Record<string, MetadataValue>> =>
    doc < segmentCount
      ? (segment?.metadata[doc] ?? {})
      : (input.added[doc - segmentCount] as StoredChunk).metadata;
  if (entries.length === 0) return () => true;
  return (doc) => {
    const metadata = metadataOf(doc);
    return entries.every(([key, value]) => metadata[key] === value);
  };
}

/** The k best chunks by score, ties broken by id so that equal inputs rank equally. */
function selectTop(scores: Float64Array, k: number, idOf: (doc: number) => string): Ranked[] {
  const best: Ranked[] = [];
  const before = (a: Ranked, b: Ranked): boolean =>
    a.score > b.score || (a.score === b.score && idOf(a.doc) < idOf(b.doc));
  for (let doc = 0; doc < scores.length; doc++) {
    const score = scores[doc] as number;
    if (score <= 0) continue;
    if (best.length === k) {
      const last = best[k - 1] as Ranked;
      if (score < last.score || (score === last.score && idOf(doc) >= idOf(last.doc))) continue;
    }
    const entry = { doc, score };
    let position = best.length;
    while (position > 0 && before(entry, best[position - 1] as Ranked)) position--;
    best.splice(position, 0, entry);
    if (best.length > k) best.pop();
  }
  return best;
}
