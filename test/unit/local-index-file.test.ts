import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalVectorIndex } from '../../src/adapters/local/local-index.js';
import { CorruptIndexFileError } from '../../src/adapters/local/local-index/errors.js';
import { sameStamp, stampOf } from '../../src/adapters/local/local-index/file-stamp.js';
import { readIndexFile, writeIndexFile } from '../../src/adapters/local/local-index/index-file.js';
import { readLegacyIndexFile } from '../../src/adapters/local/local-index/legacy-index-file.js';
import { NamespaceState } from '../../src/adapters/local/local-index/namespace-state.js';
import { toStored } from '../../src/adapters/local/local-index/stored-chunk.js';
import { localIndexPath, openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import type { IndexedChunk } from '../../src/core/ports/vector-index.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'index-file-'));
  path = join(dir, 'index.bin');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const indexed = (id: string, text: string, vector: number[]): IndexedChunk => ({
  id,
  text,
  title: `Title of ${id}`,
  location: `docs/${id}`,
  metadata: { source: 'docs' },
  vector,
});

function draftOf(name: string, chunks: IndexedChunk[]) {
  const state = new NamespaceState(undefined);
  for (const chunk of chunks) state.put(toStored(chunk));
  return state.draft(name, chunks[0]?.vector.length ?? 0);
}

describe('index file', () => {
  it('reads back namespaces, postings, float32 vectors and texts exactly', async () => {
    // Prepare
    const a = indexed('a', 'ports and more ports', [0.1, -2, 3.5]);
    const b = indexed('b', 'tokens', [1 / 3, 0, 1e-8]);
    // Act
    await writeIndexFile(path, 3, [draftOf('', [a]), draftOf('tenant-1', [b])]);
    const read = await readIndexFile(path);
    // Assess
    const tenant = read?.version.segments.get('tenant-1');
    const main = read?.version.segments.get('');
    expect(read?.version.dimensions).toBe(3);
    expect(tenant?.ids).toEqual(['b']);
    expect(Array.from((await tenant?.vectors()) ?? [])).toEqual(
      Array.from(Float32Array.from([1 / 3, 0, 1e-8])),
    );
    expect(await main?.passage(0)).toEqual({ title: 'Title of a', text: 'ports and more ports' });
    const port = main?.terms.get('port') as number;
    expect(main?.postingText[main.postingStart[port] as number]).toBe(2);
    expect(main?.metadata).toEqual([{ source: 'docs' }]);
    await read?.version.retire();
  });

  it('keeps texts out of memory: a chunk is read from the file when asked for', async () => {
    // Prepare
    await writeIndexFile(path, 2, [draftOf('', [indexed('a', 'first text', [1, 0])])]);
    const read = await readIndexFile(path);
    // Act: the file changes under the open version (as a rename by another writer would not do)
    const passage = await read?.version.segments.get('')?.passage(0);
    // Assess
    expect(passage?.text).toBe('first text');
    expect(JSON.stringify([...(read?.version.segments.get('')?.termList ?? [])])).not.toContain('first text');
    await read?.version.retire();
  });

  it('returns the stamp a later stat sees, so a writer does not reload its own file', async () => {
    // Act
    const written = await writeIndexFile(path, 2, [draftOf('', [indexed('a', 'x', [1, 0])])]);
    // Assess
    expect(sameStamp(written, await stampOf(path))).toBe(true);
  });

  it('reads a missing file as no file at all', async () => {
    // Act & Assess
    expect(await readIndexFile(join(dir, 'missing.bin'))).toBeNull();
    expect(await stampOf(join(dir, 'missing.bin'))).toBeNull();
  });

  it('names a file that is not an index, or one cut short', async () => {
    // Prepare
    await writeIndexFile(path, 2, [draftOf('', [indexed('a', 'x', [1, 0])])]);
    const whole = await readFile(path);
    const cut = join(dir, 'cut.bin');
    await writeFile(cut, whole.subarray(0, whole.length - 10));
    const other = join(dir, 'other.bin');
    await writeFile(other, '{"not": "an index"}, padded to be long enough for a trailer');
    // Act & Assess
    await expect(readIndexFile(cut)).rejects.toThrow(/ends early/);
    await expect(readIndexFile(other)).rejects.toThrow(CorruptIndexFileError);
  });
});

describe('legacy index file (index.json)', () => {
  const legacyLine = (namespace: string, id: string, vector: number[]) =>
    JSON.stringify({
      namespace,
      id,
      title: `Title of ${id}`,
      text: `Text of ${id}.`,
      location: `docs/${id}`,
      metadata: { source: 'docs' },
      vector: Buffer.from(Float32Array.from(vector).buffer).toString('base64'),
    });
  const legacyFile = (lines: string[]) =>
    `{"format":"rag-serving-local-index","version":1,"chunks":[\n${lines.join(',\n')}\n]}\n`;

  it('reads chunks and vectors of the earlier format', async () => {
    // Prepare
    const legacy = join(dir, 'index.json');
    await writeFile(legacy, legacyFile([legacyLine('', 'a', [0.5, 1]), legacyLine('t', 'b', [1, 0])]));
    const chunks: [string, IndexedChunk][] = [];
    // Act
    await readLegacyIndexFile(legacy, (namespace, chunk) => chunks.push([namespace, chunk]));
    // Assess
    expect(chunks.map(([namespace, chunk]) => [namespace, chunk.id, chunk.vector])).toEqual([
      ['', 'a', [0.5, 1]],
      ['t', 'b', [1, 0]],
    ]);
  });

  it('is carried over into the current file on first open, then removed', async () => {
    // Prepare
    await writeFile(
      join(dir, 'index.json'),
      legacyFile([legacyLine('', 'a', [0.5, 1]), legacyLine('t', 'b', [1, 0])]),
    );
    // Act
    const { index } = await openLocalRetrieval(dir);
    // Assess
    expect(await index.listIds('')).toEqual(['a']);
    expect(await index.listIds('', { namespace: 't' })).toEqual(['b']);
    expect(await stampOf(join(dir, 'index.json'))).toBeNull();
    expect(await (await LocalVectorIndex.open(localIndexPath(dir))).listIds('', { namespace: 't' })).toEqual([
      'b',
    ]);
  });
});

describe('sameStamp', () => {
  it('matches no unknown stamp, and a missing file only another missing file', () => {
    // Prepare
    const stamp = { mtimeMs: 1, size: 2, ino: 3 };
    // Act & Assess
    expect(sameStamp(undefined, undefined)).toBe(false);
    expect(sameStamp(null, null)).toBe(true);
    expect(sameStamp(null, stamp)).toBe(false);
    expect(sameStamp(stamp, { ...stamp })).toBe(true);
    expect(sameStamp(stamp, { ...stamp, ino: 4 })).toBe(false);
  });
});
