import type { MetadataFilter } from '../../../core/ports/types.js';
import type { QueryOptions } from '../../../core/ports/vector-index.js';
import { normOf } from '../vector-norm.js';
import { VectorDimensionMismatchError } from './errors.js';
import type { Shard } from './shard.js';
import type { StoredChunk } from './stored-chunk.js';

/**
 * Ranking within one namespace: BM25 (MiniSearch, title boosted) and cosine similarity, each
 * divided by its best score, combined by weighted score fusion.
 */

/** Which scores rank results: BM25, cosine similarity, or a weighted fusion of both. */
export type RankingMode = 'hybrid' | 'lexical' | 'vector';

export interface RankingSettings {
  readonly mode: RankingMode;
  /** Share of the cosine score in the hybrid fused score, 0–1; BM25 gets the rest. */
  readonly vectorWeight: number;
  /** BM25 weight of the title field relative to the text. */
  readonly titleBoost: number;
}

/**
 * The ids of the `topK` best chunks of `shard` that pass the metadata filter, best first,
 * with their fused scores. `dimensions` is the length of the index's vectors, if known.
 */
export function rankChunks(
  shard: Shard,
  query: Pick<QueryOptions, 'text' | 'vector' | 'topK' | 'filter'>,
  settings: RankingSettings,
  dimensions: number | undefined,
): [string, number][] {
  const accepts = metadataPredicate(query.filter);
  const { lexical, vector } = fusionWeights(settings.mode, settings.vectorWeight);
  const fused = new Map<string, number>();
  if (lexical > 0) {
    for (const [id, score] of lexicalScores(shard, query.text, settings.titleBoost, accepts))
      fused.set(id, lexical * score);
  }
  if (vector > 0) {
    for (const [id, score] of vectorScores(shard, query.vector, accepts, dimensions)) {
      fused.set(id, (fused.get(id) ?? 0) + vector * score);
    }
  }
  return selectTop(fused, query.topK);
}

/** How much each score counts in the fused score, by ranking mode. */
function fusionWeights(mode: RankingMode, vectorWeight: number): { lexical: number; vector: number } {
  if (mode === 'lexical') return { lexical: 1, vector: 0 };
  if (mode === 'vector') return { lexical: 0, vector: 1 };
  return { lexical: 1 - vectorWeight, vector: vectorWeight };
}

/** BM25 scores divided by the best one, so they lie in (0, 1] like the cosine scores. */
function lexicalScores(
  shard: Shard,
  text: string,
  titleBoost: number,
  accepts: ChunkPredicate | undefined,
): [string, number][] {
  const results = shard.lexical.search(text, {
    boost: { title: titleBoost },
    ...(accepts && { filter: (result) => accepts(shard.chunks.get(result.id as string) as StoredChunk) }),
  });
  const best = results[0]?.score ?? 0;
  return best > 0 ? results.map((result) => [result.id as string, result.score / best]) : [];
}

/** Positive cosine similarities divided by the best one. */
function vectorScores(
  shard: Shard,
  queryVector: readonly number[],
  accepts: ChunkPredicate | undefined,
  dimensions: number | undefined,
): [string, number][] {
  if (dimensions !== undefined && queryVector.length !== dimensions) {
    throw new VectorDimensionMismatchError(dimensions, queryVector.length, 'The query vector');
  }
  const queryNorm = normOf(queryVector);
  if (queryNorm === 0) return [];
  const scores: [string, number][] = [];
  let best = 0;
  for (const chunk of shard.chunks.values()) {
    if (chunk.norm === 0 || (accepts && !accepts(chunk))) continue;
    let dot = 0;
    for (let i = 0; i < queryVector.length; i++)
      dot += (queryVector[i] as number) * (chunk.vector[i] as number);
    const cosine = dot / (queryNorm * chunk.norm);
    if (cosine <= 0) continue;
    scores.push([chunk.id, cosine]);
    if (cosine > best) best = cosine;
  }
  for (const entry of scores) entry[1] /= best;
  return scores;
}

type ChunkPredicate = (chunk: StoredChunk) => boolean;

function metadataPredicate(filter: MetadataFilter | undefined): ChunkPredicate | undefined {
  const entries = Object.entries(filter ?? {});
  if (entries.length === 0) return undefined;
  return (chunk) => entries.every(([key, value]) => chunk.metadata[key] === value);
}

/** The k best entries by score, ties broken by id so that equal inputs rank equally. */
function selectTop(scores: Map<string, number>, k: number): [string, number][] {
  const best: [string, number][] = [];
  const before = (a: [string, number], b: [string, number]): boolean =>
    a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of scores) {
    if (entry[1] <= 0) continue;
    if (best.length === k && !before(entry, best[k - 1] as [string, number])) continue;
    let position = best.length;
    while (position > 0 && before(entry, best[position - 1] as [string, number])) position--;
    best.splice(position, 0, entry);
    if (best.length > k) best.pop();
  }
  return best;
}
