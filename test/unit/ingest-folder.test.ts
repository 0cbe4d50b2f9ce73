import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashedEmbedder } from '../../src/adapters/local/hashed-embedder.js';
import { LocalVectorIndex } from '../../src/adapters/local/local-index.js';
import type { EmbedOptions, EmbedResult, Embedder } from '../../src/core/ports/embedder.js';
import {
  IngestDirectoryNotFoundError,
  InvalidSourceNameError,
  ingestFolder,
} from '../../src/ingest/ingest-folder.js';
import type { IngestProgress } from '../../src/ingest/ingest-folder.js';

let root: string;
let docs: string;
let index: LocalVectorIndex;

/** Counts the texts it embeds, so a test can prove unchanged chunks are not embedded again. */
class CountingEmbedder implements Embedder {
  readonly dimensions = 64;
  embedded = 0;
  private readonly inner = new HashedEmbedder({ dimensions: 64 });
  async embed(options: EmbedOptions): Promise<EmbedResult> {
    this.embedded += options.texts.length;
    return this.inner.embed(options);
  }
}

async function write(relativePath: string, content: string | Buffer, folder = docs): Promise<void> {
  const path = join(folder, relativePath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

function section(topic: string): string {
  return Array.from(
    { length: 6 },
    (_, i) => `The ${topic} sentence ${i} is long enough to count as real documentation text.`,
  ).join(' ');
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ingest-folder-'));
  docs = join(root, 'docs');
  await write('guide.md', `# Guide\n\n## Install\n\n${section('install')}\n\n## Run\n\n${section('run')}`);
  await write('api/errors.html', `<title>Errors</title><h2>Codes</h2><p>${section('error code')}</p>`);
  await write('notes.txt', `Notes\n\n${section('zebra')}`);
  index = await LocalVectorIndex.open(join(root, 'index.json'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ingestFolder', () => {
  it('indexes every document of the folder under its source', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    // Act
    const summary = await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    // Assess
    expect(summary).toMatchObject({ files: 3, added: summary.chunks, removed: 0, unchanged: 0, skipped: [] });
    expect(summary.chunks).toBeGreaterThanOrEqual(3);
    expect(embedder.embedded).toBe(summary.chunks);
    const ids = await index.listIds('docs:');
    expect(ids).toHaveLength(summary.chunks);
    expect(ids.some((id) => id.startsWith('docs:api/errors.html#0-'))).toBe(true);
    const { matches } = await index.query({ text: 'error code', vector: [], topK: 1 });
    expect(matches[0]?.metadata).toEqual({ source: 'docs', path: 'api/errors.html', doc_title: 'Errors' });
  });

  it('adds and removes nothing and embeds nothing on an unchanged second run', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    const first = await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    embedder.embedded = 0;
    // Act
    const second = await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    // Assess
    expect(second).toMatchObject({
      files: 3,
      chunks: first.chunks,
      added: 0,
      removed: 0,
      unchanged: first.chunks,
    });
    expect(embedder.embedded).toBe(0);
  });

  it("replaces an edited file's chunks and leaves the other files alone", async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    const untouched = (await index.listIds('docs:')).filter((id) => !id.startsWith('docs:notes.txt#'));
    await write('notes.txt', `Notes\n\n${section('rewritten')}`);
    // Act
    const summary = await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    // Assess
    expect(summary).toMatchObject({ added: 1, removed: 1 });
    const ids = await index.listIds('docs:');
    expect(ids.filter((id) => !id.startsWith('docs:notes.txt#'))).toEqual(untouched);
    const { matches } = await index.query({ text: 'rewritten', vector: [], topK: 5 });
    expect(matches.map((match) => match.metadata['path'])).toEqual(['notes.txt']);
    expect((await index.query({ text: 'zebra', vector: [], topK: 5 })).matches).toEqual([]);
  });

  it("removes a deleted file's chunks", async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    await rm(join(docs, 'api', 'errors.html'));
    // Act
    const summary = await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    // Assess
    expect(summary).toMatchObject({ files: 2, added: 0, removed: 1 });
    expect((await index.listIds('docs:')).some((id) => id.includes('errors.html'))).toBe(false);
  });

  it("never touches another source's chunks", async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    const handbook = join(root, 'handbook');
    await write('policy.md', `# Policy\n\n${section('policy')}`, handbook);
    await ingestFolder({ dir: handbook, source: 'handbook', embedder, index });
    const handbookIds = await index.listIds('handbook:');
    // Act
    await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    await rm(join(docs, 'guide.md'));
    await ingestFolder({ dir: docs, source: 'docs', embedder, index });
    // Assess
    expect(handbookIds.length).toBeGreaterThan(0);
    expect(await index.listIds('handbook:')).toEqual(handbookIds);
  });

  it('ingests into the given namespace only', async () => {
    // Act
    await ingestFolder({
      dir: docs,
      source: 'docs',
      embedder: new CountingEmbedder(),
      index,
      namespace: 'tenant',
    });
    // Assess
    expect(await index.listIds('docs:')).toEqual([]);
    expect((await index.listIds('docs:', { namespace: 'tenant' })).length).toBeGreaterThan(0);
  });

  it('skips hidden files, node_modules, other extensions, and binary, invalid or empty documents', async () => {
    // Prepare
    await write('.hidden.md', '# Hidden\n\nsecret');
    await write('.git/config.md', '# Git\n\ninternal');
    await write('node_modules/pkg/readme.md', '# Package\n\nvendored');
    await write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await write('binary.txt', Buffer.from([0x41, 0x00, 0x42]));
    await write('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await write('empty.md', '  \n\n');
    await write('only-script.html', '<script>var x = 1;</script>');
    // Act
    const summary = await ingestFolder({
      dir: docs,
      source: 'docs',
      embedder: new CountingEmbedder(),
      index,
    });
    // Assess
    expect(summary.files).toBe(3);
    expect(summary.skipped).toEqual([
      { path: 'binary.txt', reason: 'binary content' },
      { path: 'empty.md', reason: 'empty' },
      { path: 'latin1.txt', reason: 'not valid UTF-8' },
      { path: 'only-script.html', reason: 'no text to index' },
    ]);
    const ids = await index.listIds('');
    expect(ids.some((id) => /hidden|config|readme|image/.test(id))).toBe(false);
  });

  it('embeds in batches and reports progress per phase', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    const calls: number[] = [];
    const counting: Embedder = {
      dimensions: 64,
      embed: (options) => {
        calls.push(options.texts.length);
        return embedder.embed(options);
      },
    };
    const progress: IngestProgress[] = [];
    // Act
    const summary = await ingestFolder({
      dir: docs,
      source: 'docs',
      embedder: counting,
      index,
      batchSize: 2,
      onProgress: (update) => progress.push(update),
    });
    // Assess
    expect(calls.every((size) => size <= 2)).toBe(true);
    expect(calls.reduce((sum, size) => sum + size, 0)).toBe(summary.chunks);
    expect(progress.at(-1)).toEqual({ phase: 'embed', done: summary.chunks, total: summary.chunks });
    expect(progress.filter((update) => update.phase === 'chunk').at(-1)).toEqual({
      phase: 'chunk',
      done: 3,
      total: 3,
    });
  });

  it('fails with a named error for a missing directory or a bad source name', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    // Act & Assess
    await expect(
      ingestFolder({ dir: join(root, 'missing'), source: 'docs', embedder, index }),
    ).rejects.toThrow(IngestDirectoryNotFoundError);
    await expect(ingestFolder({ dir: docs, source: 'a:b', embedder, index })).rejects.toThrow(
      InvalidSourceNameError,
    );
    await expect(ingestFolder({ dir: docs, source: '', embedder, index })).rejects.toThrow(
      InvalidSourceNameError,
    );
  });

  it('stops when aborted and keeps what was indexed before', async () => {
    // Prepare
    const controller = new AbortController();
    const embedder: Embedder = {
      dimensions: 64,
      embed: async (options) => {
        const result = await new HashedEmbedder({ dimensions: 64 }).embed(options);
        controller.abort();
        return result;
      },
    };
    // Act
    const run = ingestFolder({
      dir: docs,
      source: 'docs',
      embedder,
      index,
      batchSize: 1,
      concurrency: 1,
      abortSignal: controller.signal,
    });
    // Assess
    await expect(run).rejects.toThrow();
    expect(await index.listIds('docs:')).toHaveLength(1);
  });
});
