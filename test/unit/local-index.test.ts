import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndexedChunk } from '../../src/core/ports/vector-index.js';
import {
  CorruptIndexFileError,
  InvalidIndexOptionsError,
  LocalVectorIndex,
  VectorDimensionMismatchError,
} from '../../src/adapters/local/local-index.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-index-'));
  path = join(dir, 'index.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function chunk(id: string, text: string, extra: Partial<IndexedChunk> = {}): IndexedChunk {
  return {
    id,
    text,
    title: extra.title ?? 'Untitled',
    location: `docs/${id}`,
    metadata: extra.metadata ?? { source: 'docs' },
    vector: extra.vector ?? [1, 0, 0, 0],
  };
}

const NO_VECTOR = [0, 0, 0, 0];

async function ids(
  index: LocalVectorIndex,
  text: string,
  options: { namespace?: string; filter?: Record<string, string> } = {},
) {
  const { matches } = await index.query({ text, vector: NO_VECTOR, topK: 10, ...options });
  return matches.map((match) => match.id);
}

describe('LocalVectorIndex: lexical ranking', () => {
  it('ranks the chunk that matches the question best first, with scores in (0, 1]', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([
      chunk('port', 'Set the PORT environment variable to change the port the server listens on.'),
      chunk('token', 'The bearer token is written to .rag/token on the first start.'),
      chunk('mixed', 'The server prints its token and port in the start-up banner.'),
    ]);
    // Act
    const { matches } = await index.query({ text: 'how do I change the port?', vector: NO_VECTOR, topK: 5 });
    // Assess
    expect(matches.map((match) => match.id)).toEqual(['port', 'mixed']);
    expect(matches[0]?.score).toBe(1);
    expect(matches[1]?.score).toBeGreaterThan(0);
    expect(matches[1]?.score).toBeLessThan(1);
    expect(matches[0]).toMatchObject({
      text: expect.stringContaining('PORT'),
      location: 'docs/port',
      metadata: { source: 'docs' },
    });
    expect(matches[0]).not.toHaveProperty('vector');
  });

  it('finds identifiers from their spoken parts', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([
      chunk('a', 'Pass sessionId to continue a conversation.'),
      chunk('b', 'Unrelated text about alarms.'),
    ]);
    // Act & Assess
    expect(await ids(index, 'which session id do I send')).toEqual(['a']);
  });

  it('searches the title field too', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([
      chunk('a', 'Set it before starting.', { title: 'Configuration › RAG_DATA_DIR' }),
      chunk('b', 'Alarms go to one SNS topic.', { title: 'Operations › Alarms' }),
    ]);
    // Act & Assess
    expect(await ids(index, 'data dir')).toEqual(['a']);
  });

  it('honours topK', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert(Array.from({ length: 8 }, (_, i) => chunk(`c${i}`, `index chunk number ${i}`)));
    // Act
    const { matches } = await index.query({ text: 'index chunk', vector: NO_VECTOR, topK: 3 });
    // Assess
    expect(matches).toHaveLength(3);
  });
});

describe('LocalVectorIndex: vector and hybrid ranking', () => {
  const chunks = [
    chunk('lexical', 'guardrail settings', { vector: [0, 1, 0, 0] }),
    chunk('semantic', 'nothing in common', { vector: [1, 0, 0, 0] }),
    chunk('both', 'guardrail words', { vector: [0.6, 0.8, 0, 0] }),
  ];

  it('ranks by cosine similarity in vector mode', async () => {
    // Prepare
    await (await LocalVectorIndex.open(path)).upsert(chunks);
    const index = await LocalVectorIndex.open(path, { mode: 'vector' });
    // Act
    const { matches } = await index.query({ text: 'guardrail', vector: [1, 0, 0, 0], topK: 5 });
    // Assess
    expect(matches.map((match) => match.id)).toEqual(['semantic', 'both']);
    expect(matches[0]?.score).toBeCloseTo(1);
    expect(matches[1]?.score).toBeCloseTo(0.6);
  });

  it('ignores the vector at the default weight and fuses both at a positive weight', async () => {
    // Prepare
    await (await LocalVectorIndex.open(path)).upsert(chunks);
    const lexicalOnly = await LocalVectorIndex.open(path);
    const hybrid = await LocalVectorIndex.open(path, { vectorWeight: 0.5 });
    const query = { text: 'guardrail', vector: [1, 0, 0, 0], topK: 5 };
    // Act
    const plain = await lexicalOnly.query(query);
    const fused = await hybrid.query(query);
    // Assess
    expect(plain.matches.map((match) => match.id).sort()).toEqual(['both', 'lexical']);
    expect(fused.matches.map((match) => match.id)).toEqual(['both', 'lexical', 'semantic']);
    expect(fused.matches[0]?.score).toBeGreaterThan(0.5);
    expect(fused.matches[2]?.score).toBeCloseTo(0.5);
  });

  it('rejects a query vector of the wrong length when vectors are used', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path, { mode: 'vector' });
    await index.upsert(chunks);
    // Act & Assess
    await expect(index.query({ text: 'x', vector: [1, 0], topK: 1 })).rejects.toThrow(
      VectorDimensionMismatchError,
    );
  });

  it('rejects chunks whose vectors do not match the index', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert(chunks);
    // Act & Assess
    await expect(index.upsert([chunk('short', 'x', { vector: [1, 0] })])).rejects.toThrow(
      VectorDimensionMismatchError,
    );
    expect(await index.listIds('')).toEqual(['both', 'lexical', 'semantic']);
  });
  it('takes a new vector length once every chunk is gone', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path, { mode: 'vector' });
    await index.upsert([chunk('old', 'x', { vector: [1, 0, 0, 0] })]);
    await index.delete(['old']);
    // Act
    await index.upsert([chunk('new', 'x', { vector: [1, 0] })]);
    // Assess
    const { matches } = await index.query({ text: 'x', vector: [1, 0], topK: 1 });
    expect(matches.map((match) => match.id)).toEqual(['new']);
  });

  it('rejects an upsert whose vectors disagree with each other', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    // Act & Assess
    await expect(
      index.upsert([chunk('a', 'x', { vector: [1, 0, 0, 0] }), chunk('b', 'x', { vector: [1, 0] })]),
    ).rejects.toThrow(VectorDimensionMismatchError);
    expect(index.size).toBe(0);
  });
});

describe('LocalVectorIndex: filters and namespaces', () => {
  it('returns only chunks whose metadata equals every filter value', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([
      chunk('a', 'deploy the stage', { metadata: { source: 'docs', path: 'a.md' } }),
      chunk('b', 'deploy the stage', { metadata: { source: 'handbook', path: 'b.md' } }),
      chunk('c', 'deploy the stage', { metadata: { source: 'docs', path: 'c.md' } }),
    ]);
    // Act & Assess
    expect(await ids(index, 'deploy', { filter: { source: 'docs' } })).toEqual(['a', 'c']);
    expect(await ids(index, 'deploy', { filter: { source: 'docs', path: 'c.md' } })).toEqual(['c']);
    expect(await ids(index, 'deploy', { filter: { source: 'nobody' } })).toEqual([]);
  });

  it('never returns or lists chunks of another namespace', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([chunk('docs:a', 'tenant one secret plan')], { namespace: 'tenant-1' });
    await index.upsert([chunk('docs:b', 'tenant two secret plan')], { namespace: 'tenant-2' });
    await index.upsert([chunk('docs:c', 'default secret plan')]);
    // Act & Assess
    expect(await ids(index, 'secret plan', { namespace: 'tenant-1' })).toEqual(['docs:a']);
    expect(await ids(index, 'secret plan')).toEqual(['docs:c']);
    expect(await ids(index, 'secret plan', { namespace: 'tenant-3' })).toEqual([]);
    expect(await index.listIds('docs:', { namespace: 'tenant-2' })).toEqual(['docs:b']);
  });

  it('keeps the same id in two namespaces apart', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([chunk('same', 'first namespace text')], { namespace: 'one' });
    await index.upsert([chunk('same', 'second namespace text')], { namespace: 'two' });
    // Act
    await index.delete(['same'], { namespace: 'one' });
    // Assess
    expect(await index.listIds('', { namespace: 'one' })).toEqual([]);
    expect(await ids(index, 'second', { namespace: 'two' })).toEqual(['same']);
  });
});

describe('LocalVectorIndex: writes', () => {
  it('replaces a chunk upserted again under the same id', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([chunk('a', 'old wording about dynalite')]);
    // Act
    await index.upsert([chunk('a', 'new wording about pinecone')]);
    // Assess
    expect(await ids(index, 'dynalite')).toEqual([]);
    expect(await ids(index, 'pinecone')).toEqual(['a']);
    expect(index.size).toBe(1);
  });

  it('deletes chunks and lists the remaining ids by prefix, sorted', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([
      chunk('docs:b', 'x y'),
      chunk('docs:a', 'x y'),
      chunk('other:a', 'x y'),
      chunk('docs:c', 'x y'),
    ]);
    // Act
    await index.delete(['docs:c', 'missing']);
    // Assess
    expect(await index.listIds('docs:')).toEqual(['docs:a', 'docs:b']);
    expect(await ids(index, 'x')).not.toContain('docs:c');
  });

  it('rejects invalid options at construction', () => {
    // Act & Assess
    expect(() => new LocalVectorIndex(path, { vectorWeight: 1.5 })).toThrow(InvalidIndexOptionsError);
    expect(() => new LocalVectorIndex(path, { vectorWeight: Number.NaN })).toThrow(InvalidIndexOptionsError);
    expect(() => new LocalVectorIndex(path, { mode: 'dense' as never })).toThrow(InvalidIndexOptionsError);
  });

  it('rejects a query whose abort signal has fired', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    const controller = new AbortController();
    controller.abort();
    // Act & Assess
    await expect(
      index.query({ text: 'x', vector: NO_VECTOR, topK: 1, abortSignal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('LocalVectorIndex: persistence', () => {
  it('treats a missing file as an empty index without creating it', async () => {
    // Act
    const index = await LocalVectorIndex.open(path);
    // Assess
    expect(index.size).toBe(0);
    expect(await ids(index, 'anything')).toEqual([]);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('persists chunks, vectors and namespaces for the next instance', async () => {
    // Prepare
    const writer = await LocalVectorIndex.open(path);
    await writer.upsert([chunk('a', 'persisted text', { title: 'Doc › Part', vector: [0.5, 0.25, 0, 1] })], {
      namespace: 'tenant',
    });
    // Act
    const reader = await LocalVectorIndex.open(path, { mode: 'vector' });
    const { matches } = await reader.query({
      text: '',
      vector: [0.5, 0.25, 0, 1],
      topK: 1,
      namespace: 'tenant',
    });
    // Assess
    expect(matches).toEqual([
      {
        id: 'a',
        text: 'persisted text',
        title: 'Doc › Part',
        location: 'docs/a',
        metadata: { source: 'docs' },
        score: 1,
      },
    ]);
    const file = await readFile(path);
    expect(file.subarray(0, 8).toString('latin1')).toBe('RAGIDX02');
    expect(file.subarray(-8).toString('latin1')).toBe('RAGIDX02');
  });

  it('picks up a file that another instance rewrote, without reopening', async () => {
    // Prepare
    const server = await LocalVectorIndex.open(path);
    const ingest = await LocalVectorIndex.open(path);
    expect(await ids(server, 'fresh')).toEqual([]);
    // Act
    await ingest.upsert([chunk('new', 'fresh content from the ingest')]);
    // Assess
    expect(await ids(server, 'fresh')).toEqual(['new']);
    expect(server.size).toBe(1);
  });

  it('becomes empty when the file is deleted', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    await index.upsert([chunk('a', 'something')]);
    // Act
    await rm(path);
    // Assess
    expect(await ids(index, 'something')).toEqual([]);
  });

  it('keeps the writes of two instances that were open at the same time', async () => {
    // Prepare
    const first = await LocalVectorIndex.open(path);
    const second = await LocalVectorIndex.open(path);
    // Act
    await first.upsert([chunk('alpha:1', 'from the first ingest')]);
    await second.upsert([chunk('beta:1', 'from the second ingest')]);
    // Assess
    expect(await (await LocalVectorIndex.open(path)).listIds('')).toEqual(['alpha:1', 'beta:1']);
  });

  it('merges a rewrite by another instance into the writes of a batch in progress', async () => {
    // Prepare
    const ingestA = await LocalVectorIndex.open(path);
    const ingestB = await LocalVectorIndex.open(path);
    // Act
    await ingestB.batch(async () => {
      await ingestB.upsert([chunk('beta:1', 'held in memory until the batch ends')]);
      await ingestA.upsert([chunk('alpha:1', 'written while the batch runs')]);
    });
    // Assess
    expect(await (await LocalVectorIndex.open(path)).listIds('')).toEqual(['alpha:1', 'beta:1']);
  });

  it('writes atomically and leaves no temporary files behind', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    // Act
    await Promise.all([
      index.upsert([chunk('a', 'one')]),
      index.upsert([chunk('b', 'two')]),
      index.delete(['a']),
      index.upsert([chunk('c', 'three')]),
    ]);
    // Assess
    expect(await readdir(dir)).toEqual(['index.json']);
    expect(await (await LocalVectorIndex.open(path)).listIds('')).toEqual(['b', 'c']);
  });

  it('writes once for a whole batch, and still saves the work done before a failure', async () => {
    // Prepare
    const index = await LocalVectorIndex.open(path);
    // Act
    const failure = index.batch(async () => {
      await index.upsert([chunk('a', 'one')]);
      await index.upsert([chunk('b', 'two')]);
      // Nothing is on disk until the batch ends.
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
      throw new Error('embedding failed');
    });
    // Assess
    await expect(failure).rejects.toThrow('embedding failed');
    expect(await (await LocalVectorIndex.open(path)).listIds('')).toEqual(['a', 'b']);
  });

  it('reports a corrupt file with a named error', async () => {
    // Prepare
    await writeFile(path, '{"not": "an index"}\n');
    // Act & Assess
    await expect(LocalVectorIndex.open(path)).rejects.toThrow(CorruptIndexFileError);
  });

  it('reports a truncated file with a named error', async () => {
    // Prepare
    await (await LocalVectorIndex.open(path)).upsert([chunk('a', 'one'), chunk('b', 'two')]);
    const content = await readFile(path);
    await writeFile(path, content.subarray(0, content.length - 40));
    // Act & Assess
    await expect(LocalVectorIndex.open(path)).rejects.toThrow(CorruptIndexFileError);
  });
});
