import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptIndexFileError } from '../../src/adapters/local/local-index/errors.js';
import { sameStamp, stampOf } from '../../src/adapters/local/local-index/file-stamp.js';
import { readIndexFile, writeIndexFile } from '../../src/adapters/local/local-index/index-file.js';
import { toStored } from '../../src/adapters/local/local-index/stored-chunk.js';
import type { StoredChunk } from '../../src/adapters/local/local-index/stored-chunk.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'index-file-'));
  path = join(dir, 'index.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stored = (id: string, vector: number[]): StoredChunk =>
  toStored({
    id,
    text: `Text of ${id}.`,
    title: id,
    location: `docs/${id}`,
    metadata: { source: 'docs' },
    vector,
  });

async function readAll(file: string): Promise<[string, StoredChunk][]> {
  const chunks: [string, StoredChunk][] = [];
  await readIndexFile(file, (namespace, chunk) => chunks.push([namespace, chunk]));
  return chunks;
}

describe('index file', () => {
  it('writes one JSON document, a chunk per line, and reads back namespaces and float32 vectors exactly', async () => {
    // Prepare
    const a = stored('a', [0.1, -2, 3.5]);
    const b = stored('b', [1 / 3, 0, 1e-8]);
    // Act
    await writeIndexFile(path, [
      ['', a],
      ['tenant-1', b],
    ]);
    const read = await readAll(path);
    // Assess
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toHaveLength(5);
    expect(JSON.parse(text)).toMatchObject({ format: 'rag-serving-local-index', version: 1 });
    expect(read).toEqual([
      ['', a],
      ['tenant-1', b],
    ]);
    expect(Array.from(read[1]?.[1].vector ?? [])).toEqual(Array.from(Float32Array.from([1 / 3, 0, 1e-8])));
  });

  it('returns the stamp a later stat sees, so a writer does not reload its own file', async () => {
    // Act
    const written = await writeIndexFile(path, [['', stored('a', [1, 0])]]);
    // Assess
    expect(sameStamp(written, await stampOf(path))).toBe(true);
  });

  it('reads a missing file as no file at all', async () => {
    // Act
    const stamp = await readIndexFile(join(dir, 'missing.json'), () => undefined);
    // Assess
    expect(stamp).toBeNull();
    expect(await stampOf(join(dir, 'missing.json'))).toBeNull();
  });

  it('names the line that is not a chunk record', async () => {
    // Prepare
    await writeIndexFile(path, [
      ['', stored('a', [1, 0])],
      ['', stored('b', [0, 1])],
    ]);
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[2] = '{"namespace": ';
    await writeFile(path, lines.join('\n'));
    // Act
    const reading = readAll(path);
    // Assess
    await expect(reading).rejects.toThrow(CorruptIndexFileError);
    await expect(reading).rejects.toThrow(/line 3 is not a chunk record/);
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
