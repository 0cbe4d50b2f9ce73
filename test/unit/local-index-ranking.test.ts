import { describe, expect, it } from 'vitest';
import { VectorDimensionMismatchError } from '../../src/adapters/local/local-index/errors.js';
import { rankChunks } from '../../src/adapters/local/local-index/ranking.js';
import type { RankingSettings } from '../../src/adapters/local/local-index/ranking.js';
import { putChunk, shardIn } from '../../src/adapters/local/local-index/shard.js';
import type { Shard } from '../../src/adapters/local/local-index/shard.js';
import { toStored } from '../../src/adapters/local/local-index/stored-chunk.js';

function shardOf(chunks: { id: string; text: string; vector: number[]; kind?: string }[]): Shard {
  const shard = shardIn(new Map(), '');
  for (const { id, text, vector, kind } of chunks) {
    putChunk(
      shard,
      toStored({ id, text, title: '', location: id, metadata: { kind: kind ?? 'guide' }, vector }),
    );
  }
  return shard;
}

const settings = (overrides: Partial<RankingSettings> = {}): RankingSettings => ({
  mode: 'hybrid',
  vectorWeight: 0,
  titleBoost: 1.25,
  ...overrides,
});

const SHARD = shardOf([
  { id: 'port', text: 'Change the port of the server.', vector: [0, 1] },
  { id: 'token', text: 'The token is printed at start.', vector: [1, 0] },
]);

describe('rankChunks', () => {
  it('adds the weighted BM25 and cosine scores, each relative to its best', () => {
    // Act
    const ranked = rankChunks(
      SHARD,
      { text: 'port', vector: [1, 0], topK: 5 },
      settings({ vectorWeight: 0.4 }),
      2,
    );
    // Assess
    expect(ranked).toEqual([
      ['port', 0.6],
      ['token', 0.4],
    ]);
  });

  it('breaks equal scores by id and keeps only topK', () => {
    // Prepare
    const shard = shardOf([
      { id: 'c', text: 'alarms', vector: [1, 0] },
      { id: 'a', text: 'alarms', vector: [1, 0] },
      { id: 'b', text: 'alarms', vector: [1, 0] },
    ]);
    // Act
    const ranked = rankChunks(shard, { text: 'alarms', vector: [1, 0], topK: 2 }, settings(), 2);
    // Assess
    expect(ranked.map(([id]) => id)).toEqual(['a', 'b']);
  });

  it('scores only chunks whose metadata matches the filter, relative to the best of those', () => {
    // Prepare
    const shard = shardOf([
      { id: 'guide', text: 'port port port', vector: [1, 0] },
      { id: 'faq', text: 'port and many other words here', vector: [1, 0], kind: 'faq' },
    ]);
    // Act
    const ranked = rankChunks(
      shard,
      { text: 'port', vector: [1, 0], topK: 5, filter: { kind: 'faq' } },
      settings(),
      2,
    );
    // Assess
    expect(ranked).toEqual([['faq', 1]]);
  });

  it('checks the query vector’s length only when vectors take part', () => {
    // Prepare
    const query = { text: 'port', vector: [1, 0, 0], topK: 5 };
    // Act & Assess
    expect(rankChunks(SHARD, query, settings({ mode: 'lexical' }), 2)).toHaveLength(1);
    expect(() => rankChunks(SHARD, query, settings({ mode: 'vector' }), 2)).toThrow(
      VectorDimensionMismatchError,
    );
  });
});
