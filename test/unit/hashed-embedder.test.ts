import { describe, expect, it } from 'vitest';
import { HashedEmbedder, InvalidEmbedderOptionsError } from '../../src/adapters/local/hashed-embedder.js';

function cosine(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);
}

describe('HashedEmbedder', () => {
  it('returns one unit-length vector of 384 dimensions per text by default', async () => {
    // Prepare
    const embedder = new HashedEmbedder();
    // Act
    const { vectors } = await embedder.embed({ texts: ['first text', 'second text'], purpose: 'document' });
    // Assess
    expect(embedder.dimensions).toBe(384);
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    }
  });

  it('is deterministic across instances', async () => {
    // Prepare
    const text = 'Set RAG_DATA_DIR to move the local index and session data.';
    // Act
    const first = await new HashedEmbedder().embed({ texts: [text], purpose: 'document' });
    const second = await new HashedEmbedder().embed({ texts: [text], purpose: 'query' });
    // Assess
    expect(second.vectors[0]).toEqual(first.vectors[0]);
  });

  it('ranks a related passage above an unrelated one', async () => {
    // Prepare
    const embedder = new HashedEmbedder();
    const query = 'how do I change the data directory of the local server';
    const related = 'The local server keeps its data directory under .rag; set RAG_DATA_DIR to change it.';
    const unrelated = 'Guardrails block answers that mention denied words such as salaries.';
    // Act
    const { vectors } = await embedder.embed({ texts: [query, related, unrelated], purpose: 'document' });
    const [q, r, u] = vectors as [number[], number[], number[]];
    // Assess
    expect(cosine(q, r)).toBeGreaterThan(cosine(q, u));
    expect(cosine(q, r)).toBeGreaterThan(0.2);
  });

  it('brings word forms together through character n-grams', async () => {
    // Prepare
    const embedder = new HashedEmbedder();
    // Act
    const { vectors } = await embedder.embed({
      texts: ['configuration', 'configure', 'throttling'],
      purpose: 'query',
    });
    const [configuration, configure, throttling] = vectors as [number[], number[], number[]];
    // Assess
    expect(cosine(configuration, configure)).toBeGreaterThan(cosine(configuration, throttling) + 0.2);
  });

  it('gives a zero vector for text without terms and counts words as input tokens', async () => {
    // Prepare
    const embedder = new HashedEmbedder({ dimensions: 64 });
    // Act
    const result = await embedder.embed({ texts: ['the of', 'three plain words'], purpose: 'query' });
    // Assess
    expect(result.vectors[0]).toEqual(new Array(64).fill(0));
    expect(result.usage).toEqual({ inputTokens: 5, outputTokens: 0 });
  });

  it('rejects an invalid dimension count', () => {
    // Act & Assess
    expect(() => new HashedEmbedder({ dimensions: 0 })).toThrow(InvalidEmbedderOptionsError);
    expect(() => new HashedEmbedder({ dimensions: 12.5 })).toThrow(InvalidEmbedderOptionsError);
  });

  it('stops when the abort signal has fired', async () => {
    // Prepare
    const embedder = new HashedEmbedder();
    const controller = new AbortController();
    controller.abort();
    // Act & Assess
    await expect(
      embedder.embed({ texts: ['x'], purpose: 'query', abortSignal: controller.signal }),
    ).rejects.toThrow();
  });
});
