import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BM25 } from '../../src/adapters/local/local-index.js';
import { VectorDimensionMismatchError } from '../../src/adapters/local/local-index/errors.js';
import { readIndexFile, writeIndexFile } from '../../src/adapters/local/local-index/index-file.js';
import { NamespaceState } from '../../src/adapters/local/local-index/namespace-state.js';
import { lexicalScores, rankChunks } from '../../src/adapters/local/local-index/ranking.js';
import type { RankingSettings } from '../../src/adapters/local/local-index/ranking.js';
import { toStored } from '../../src/adapters/local/local-index/stored-chunk.js';

interface Spec {
  id: string;
  text: string;
  vector: number[];
  kind?: string;
  title?: string;
}

const stored = ({ id, text, vector, kind, title }: Spec) =>
  toStored({ id, text, title: title ?? '', location: id, metadata: { kind: kind ?? 'guide' }, vector });

function stateOf(chunks: Spec[]): NamespaceState {
  const state = new NamespaceState(undefined);
  for (const chunk of chunks) state.put(stored(chunk));
  return state;
}

const settings = (overrides: Partial<RankingSettings> = {}): RankingSettings => ({
  mode: 'hybrid',
  vectorWeight: 0,
  titleBoost: 1,
  bm25: DEFAULT_BM25,
  ...overrides,
});

async function rank(
  state: NamespaceState,
  query: { text: string; vector: number[]; topK: number; filter?: Record<string, string> },
  s: RankingSettings,
) {
  const added = [...state.added.values()];
  const ranked = await rankChunks({ state, added, query, settings: s, dimensions: 2 });
  const count = state.segment?.count ?? 0;
  return ranked.map(({ doc, score }) => [
    doc < count ? state.segment?.ids[doc] : added[doc - count]?.id,
    Number(score.toFixed(6)),
  ]);
}

const PORT_AND_TOKEN = () =>
  stateOf([
    { id: 'port', text: 'Change the port of the server.', vector: [0, 1] },
    { id: 'token', text: 'The token is printed at start.', vector: [1, 0] },
  ]);

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('rankChunks', () => {
  it('adds the weighted BM25 and cosine scores, each relative to its best', async () => {
    // Act
    const ranked = await rank(
      PORT_AND_TOKEN(),
      { text: 'port', vector: [1, 0], topK: 5 },
      settings({ vectorWeight: 0.4 }),
    );
    // Assess
    expect(ranked).toEqual([
      ['port', 0.6],
      ['token', 0.4],
    ]);
  });

  it('breaks equal scores by id and keeps only topK', async () => {
    // Prepare
    const state = stateOf([
      { id: 'c', text: 'alarms', vector: [1, 0] },
      { id: 'a', text: 'alarms', vector: [1, 0] },
      { id: 'b', text: 'alarms', vector: [1, 0] },
    ]);
    // Act
    const ranked = await rank(state, { text: 'alarms', vector: [1, 0], topK: 2 }, settings());
    // Assess
    expect(ranked.map(([id]) => id)).toEqual(['a', 'b']);
  });

  it('scores only chunks whose metadata matches the filter, relative to the best of those', async () => {
    // Prepare
    const state = stateOf([
      { id: 'guide', text: 'port port port', vector: [1, 0] },
      { id: 'faq', text: 'port and many other words here', vector: [1, 0], kind: 'faq' },
    ]);
    // Act
    const ranked = await rank(
      state,
      { text: 'port', vector: [1, 0], topK: 5, filter: { kind: 'faq' } },
      settings(),
    );
    // Assess
    expect(ranked).toEqual([['faq', 1]]);
  });

  it('checks the query vector’s length only when vectors take part', async () => {
    // Prepare
    const query = { text: 'port', vector: [1, 0, 0], topK: 5 };
    // Act & Assess
    expect(await rank(PORT_AND_TOKEN(), query, settings({ mode: 'lexical' }))).toHaveLength(1);
    await expect(rank(PORT_AND_TOKEN(), query, settings({ mode: 'vector' }))).rejects.toThrow(
      VectorDimensionMismatchError,
    );
  });

  it('weighs a title occurrence by the title boost (BM25F)', async () => {
    // Prepare
    const state = stateOf([
      { id: 'in-text', text: 'alarms fire when errors rise', vector: [1, 0] },
      { id: 'in-title', text: 'they fire when errors rise', title: 'Alarms', vector: [1, 0] },
    ]);
    // Act
    const low = await rank(state, { text: 'alarms', vector: [1, 0], topK: 2 }, settings({ titleBoost: 0.2 }));
    const high = await rank(state, { text: 'alarms', vector: [1, 0], topK: 2 }, settings({ titleBoost: 3 }));
    // Assess
    expect(low[0]?.[0]).toBe('in-text');
    expect(high[0]?.[0]).toBe('in-title');
  });

  it('scores a segment read from the file, its deletions and the chunks added since like one collection', async () => {
    // Prepare: the same three chunks, once all in memory and once split over file, deletion and memory.
    const specs: Spec[] = [
      { id: 'a', text: 'port of the server', vector: [1, 0] },
      { id: 'b', text: 'token printed at start', vector: [0, 1] },
      { id: 'c', text: 'port and token together with the port', vector: [1, 1] },
    ];
    const inMemory = stateOf(specs);
    dir = await mkdtemp(join(tmpdir(), 'ranking-'));
    const path = join(dir, 'index.bin');
    await writeIndexFile(path, 2, [
      stateOf([...specs.slice(0, 2), { id: 'gone', text: 'port port', vector: [1, 0] }]).draft('', 2),
    ]);
    const file = await readIndexFile(path);
    const mixed = new NamespaceState(file?.version.segments.get(''));
    mixed.remove('gone');
    mixed.put(stored(specs[2] as Spec));
    const query = { text: 'port token', vector: [1, 0], topK: 5 };
    // Act
    const expected = lexicalScores({
      state: inMemory,
      added: [...inMemory.added.values()],
      query,
      settings: settings(),
    });
    const actual = lexicalScores({
      state: mixed,
      added: [...mixed.added.values()],
      query,
      settings: settings(),
    });
    // Assess: a (file), b (file), gone (deleted: 0), c (added)
    expect(Array.from(actual)).toEqual([expected[0], expected[1], 0, expected[2]]);
    await file?.version.retire();
  });
});

describe('rankChunks options measured by the answer benchmark', () => {
  it('keeps at most perDocument chunks of one document', async () => {
    // Prepare: two chunks of one page outrank the other page
    const state = new NamespaceState(undefined);
    for (const [id, location, text] of [
      ['a#0', 'docs/a.md', 'alarms alarms alarms'],
      ['a#1', 'docs/a.md', 'alarms alarms'],
      ['b#0', 'docs/b.md', 'alarms and more'],
    ] as const) {
      state.put(toStored({ id, text, title: '', location, metadata: {}, vector: [1, 0] }));
    }
    const query = { text: 'alarms', vector: [1, 0], topK: 2 };
    // Act
    const plain = await rank(state, query, settings());
    const diverse = await rank(state, query, settings({ perDocument: 1 }));
    // Assess
    expect(plain.map(([id]) => id)).toEqual(['a#0', 'a#1']);
    expect(diverse.map(([id]) => id)).toEqual(['a#0', 'b#0']);
  });

  it('with feedback, also finds a chunk that shares terms only with the best chunk', async () => {
    // Prepare
    const state = stateOf([
      { id: 'best', text: 'rollback canary deployment alarm', vector: [1, 0] },
      { id: 'related', text: 'canary deployment shifts traffic', vector: [1, 0] },
      { id: 'unrelated', text: 'tokens are hashed', vector: [1, 0] },
    ]);
    const query = { text: 'rollback', vector: [1, 0], topK: 5 };
    // Act
    const plain = await rank(state, query, settings());
    const expanded = await rank(state, query, settings({ feedback: { chunks: 1, terms: 3, weight: 0.5 } }));
    // Assess
    expect(plain.map(([id]) => id)).toEqual(['best']);
    expect(expanded.map(([id]) => id)).toEqual(['best', 'related']);
  });
});
