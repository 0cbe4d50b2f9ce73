import { access, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import type { LocalVectorIndex } from '../../src/adapters/local/local-index.js';
import type { Embedder } from '../../src/core/ports/embedder.js';
import { FolderSource, IngestDirectoryNotFoundError } from '../../src/ingest/documents/folder-source.js';
import { IndexMismatchError } from '../../src/ingest/index-compatibility.js';
import { InvalidSourceNameError, reconcile, type IngestionOptions } from '../../src/ingest/ingestion.js';
import type { ManifestRecord } from '../../src/ingest/manifest/document-manifest.js';
import { FileManifest, ManifestLockedError } from '../../src/ingest/manifest/file-manifest.js';
import { localManifestPath } from '../../src/ingest/manifest/local-manifest-path.js';
import { CountingEmbedder, CountingSource, paragraph, writeDocument } from '../support/ingestion.js';
import { CORRUPT_PDF, pdfWithText } from '../support/pdf.js';

let root: string;
let docs: string;
let dataDir: string;
let index: LocalVectorIndex;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ingestion-'));
  docs = join(root, 'docs');
  dataDir = join(root, 'data');
  await writeDocument(
    docs,
    'guide.md',
    `# Guide\n\n## Install\n\n${paragraph('install')}\n\n## Run\n\n${paragraph('run')}`,
  );
  await writeDocument(
    docs,
    'api/errors.html',
    `<title>Errors</title><h2>Codes</h2><p>${paragraph('error code')}</p>`,
  );
  await writeDocument(docs, 'notes.txt', `Notes\n\n${paragraph('zebra')}`);
  ({ index } = await openLocalRetrieval(dataDir));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const manifestPath = (source = 'docs', namespace?: string) => localManifestPath(dataDir, source, namespace);

/** One run over `docs` with the file manifest, as `npm run ingest` does it. */
async function ingest(
  embedder: Embedder,
  options: Partial<IngestionOptions> & { force?: boolean; dir?: string; sourceName?: string } = {},
) {
  const sourceName = options.sourceName ?? 'docs';
  return reconcile({
    source: new FolderSource(options.dir ?? docs),
    sourceName,
    embedder,
    index,
    writeBatch: (work) => index.batch(work),
    ...options,
    manifest: options.manifest ?? (await FileManifest.open(manifestPath(sourceName, options.namespace))),
  });
}

const idsOf = async (prefix: string, namespace?: string) =>
  index.listIds(prefix, namespace === undefined ? {} : { namespace });

describe('Ingestion into the local index', () => {
  it('indexes every document on the first run', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    // Act
    const report = await ingest(embedder);
    // Assess
    expect(report).toMatchObject({
      seen: 3,
      added: 3,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      failed: 0,
      skipped: 0,
    });
    expect(report.chunksWritten).toBeGreaterThanOrEqual(3);
    expect(embedder.texts).toBe(report.chunksWritten);
    expect(await idsOf('docs:')).toHaveLength(report.chunksWritten);
    const { matches } = await index.query({ text: 'error code', vector: [], topK: 1 });
    expect(matches[0]?.metadata).toEqual({ source: 'docs', path: 'api/errors.html', doc_title: 'Errors' });
    const manifest = (await readFile(manifestPath(), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(manifest.map((entry: { path: string }) => entry.path)).toEqual([
      'api/errors.html',
      'guide.md',
      'notes.txt',
    ]);
  });

  it('makes no embedding call and reads no document on an unchanged second run', async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    const embedder = new CountingEmbedder();
    const source = new CountingSource(new FolderSource(docs));
    const before = await idsOf('docs:');
    // Act
    const report = await ingest(embedder, { source });
    // Assess
    expect(report).toMatchObject({
      seen: 3,
      added: 0,
      updated: 0,
      unchanged: 3,
      chunksWritten: 0,
      chunksDeleted: 0,
    });
    expect(embedder.calls).toBe(0);
    expect(source.reads).toBe(0);
    expect(await idsOf('docs:')).toEqual(before);
  });

  it('reads but does not embed a document that was touched without changing', async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    await utimes(join(docs, 'notes.txt'), new Date(), new Date(Date.now() + 60_000));
    const embedder = new CountingEmbedder();
    const source = new CountingSource(new FolderSource(docs));
    // Act
    const report = await ingest(embedder, { source });
    // Assess
    expect(report).toMatchObject({ unchanged: 3, chunksWritten: 0 });
    expect(source.reads).toBe(1);
    expect(embedder.calls).toBe(0);
    // The new version is recorded: a third run reads nothing.
    const third = new CountingSource(new FolderSource(docs));
    await ingest(embedder, { source: third });
    expect(third.reads).toBe(0);
  });

  it("replaces exactly an edited document's chunks", async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    const before = await idsOf('docs:');
    const others = before.filter((id) => !id.startsWith('docs:guide.md#'));
    const keptSection = before.find((id) => id.startsWith('docs:guide.md#0-'));
    await writeDocument(
      docs,
      'guide.md',
      `# Guide\n\n## Install\n\n${paragraph('install')}\n\n## Run\n\n${paragraph('rewritten')}`,
    );
    const embedder = new CountingEmbedder();
    // Act
    const report = await ingest(embedder);
    // Assess
    expect(report).toMatchObject({ seen: 3, updated: 1, unchanged: 2 });
    const after = await idsOf('docs:');
    expect(after.filter((id) => !id.startsWith('docs:guide.md#'))).toEqual(others);
    const guide = after.filter((id) => id.startsWith('docs:guide.md#'));
    const oldGuide = before.filter((id) => id.startsWith('docs:guide.md#'));
    // Only the chunks whose text changed were embedded and replaced.
    expect(embedder.texts).toBe(report.chunksWritten);
    expect(report.chunksDeleted).toBe(oldGuide.filter((id) => !guide.includes(id)).length);
    expect(report.chunksWritten).toBe(guide.filter((id) => !oldGuide.includes(id)).length);
    expect(report.chunksWritten).toBeGreaterThan(0);
    if (oldGuide.length > 1) expect(guide).toContain(keptSection);
    expect((await index.query({ text: 'rewritten', vector: [], topK: 5 })).matches[0]?.metadata.path).toBe(
      'guide.md',
    );
  });

  it("removes a deleted document's chunks and its manifest entry", async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    await rm(join(docs, 'api', 'errors.html'));
    // Act
    const report = await ingest(new CountingEmbedder());
    // Assess
    expect(report).toMatchObject({ seen: 2, deleted: 1, unchanged: 2, chunksDeleted: 1 });
    expect((await idsOf('docs:')).some((id) => id.includes('errors.html'))).toBe(false);
    expect(await readFile(manifestPath(), 'utf8')).not.toContain('errors.html');
  });

  it('indexes a PDF, and a corrupt PDF fails alone with its reason', async () => {
    // Prepare
    await writeDocument(docs, 'manual.pdf', pdfWithText(['Pelican handbook', paragraph('pelican')]));
    await writeDocument(docs, 'broken.pdf', CORRUPT_PDF);
    // Act
    const report = await ingest(new CountingEmbedder());
    // Assess
    expect(report).toMatchObject({ seen: 5, added: 4, failed: 1 });
    expect(report.failures).toEqual([
      { path: 'broken.pdf', reason: expect.stringMatching(/^corrupt or unreadable PDF/) },
    ]);
    const { matches } = await index.query({ text: 'pelican handbook', vector: [], topK: 1 });
    expect(matches[0]?.metadata.path).toBe('manual.pdf');
    // A failed document is not recorded, so the next run tries it again.
    const retry = await ingest(new CountingEmbedder());
    expect(retry).toMatchObject({ failed: 1, unchanged: 4 });
  });

  it('fails unreadable text alone and skips empty and oversized documents with a reason', async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    await writeDocument(docs, 'binary.txt', Buffer.from([0x41, 0x00, 0x42]));
    await writeDocument(docs, 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await writeDocument(docs, 'empty.md', '  \n\n');
    await writeDocument(docs, 'only-script.html', '<script>var x = 1;</script>');
    await writeDocument(docs, 'guide.md', `# Guide\n\n${paragraph('grown').repeat(20)}`);
    await writeDocument(docs, '.hidden.md', '# Hidden\n\nsecret');
    await writeDocument(docs, 'node_modules/pkg/readme.md', '# Package\n\nvendored');
    await writeDocument(docs, 'image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    // Act
    const report = await ingest(new CountingEmbedder(), { maxDocumentBytes: 5_000 });
    // Assess
    expect(report).toMatchObject({ seen: 7, failed: 2, skipped: 3, unchanged: 2 });
    expect(report.failures).toEqual([
      { path: 'binary.txt', reason: 'binary content' },
      { path: 'latin1.txt', reason: 'not valid UTF-8' },
    ]);
    expect(report.skippedDocuments).toEqual([
      { path: 'empty.md', reason: 'empty' },
      {
        path: 'guide.md',
        reason: expect.stringMatching(/^over the size limit \(\d+ bytes; the limit is 5000\)$/),
      },
      { path: 'only-script.html', reason: 'no text to index' },
    ]);
    // The oversized document's earlier chunks are gone: the index no longer matches it.
    expect((await idsOf('docs:')).some((id) => id.startsWith('docs:guide.md#'))).toBe(false);
    expect((await idsOf('')).some((id) => /hidden|readme|image/.test(id))).toBe(false);
  });

  it('loses nothing when a run dies midway, and the next run completes it without redoing finished checkpoints', async () => {
    // Prepare
    for (let i = 0; i < 12; i++)
      await writeDocument(
        docs,
        `many/doc-${String(i).padStart(2, '0')}.md`,
        `# Doc ${i}\n\n${paragraph(`topic${i}`)}`,
      );
    const failing = new CountingEmbedder();
    const failAfter = 6;
    const dying: Embedder = {
      dimensions: failing.dimensions,
      embed: async (options) => {
        if (failing.calls >= failAfter) throw new Error('embedding service went away');
        return failing.embed(options);
      },
    };
    // Act
    const crashed = ingest(dying, { checkpointDocuments: 3, batchSize: 1, concurrency: 1 });
    // Assess
    await expect(crashed).rejects.toThrow('embedding service went away');
    const indexedBefore = await idsOf('docs:');
    expect(indexedBefore.length).toBe(failAfter);
    const resumed = new CountingEmbedder();
    const report = await ingest(resumed);
    expect(report).toMatchObject({ seen: 15, failed: 0 });
    expect(await idsOf('docs:')).toEqual(expect.arrayContaining([...indexedBefore]));
    // Two checkpoints of 3 single-chunk documents were recorded before the failure: not embedded again.
    expect(report.unchanged).toBe(6);
    expect(resumed.texts).toBe(report.chunksWritten);
    expect((await idsOf('docs:')).length).toBe(indexedBefore.length + report.chunksWritten);
  });

  it('keeps the journal of a crashed run and folds it into the manifest when a run completes', async () => {
    // Prepare
    const dying: Embedder = {
      dimensions: 64,
      embed: async (options) => {
        if (options.texts.some((text) => text.includes('zebra'))) throw new Error('crash');
        return new CountingEmbedder().embed(options);
      },
    };
    await expect(ingest(dying, { checkpointDocuments: 1 })).rejects.toThrow('crash');
    await access(`${manifestPath()}.journal`);
    // Act
    const embedder = new CountingEmbedder();
    const report = await ingest(embedder);
    // Assess
    expect(report).toMatchObject({ added: 1, unchanged: 2 });
    await expect(access(`${manifestPath()}.journal`)).rejects.toThrow();
    await expect(access(`${manifestPath()}.lock`)).rejects.toThrow();
    expect((await readFile(manifestPath(), 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('holds one checkpoint of documents at a time, never the whole listing', async () => {
    // Prepare
    for (let i = 0; i < 40; i++)
      await writeDocument(docs, `bulk/doc-${String(i).padStart(2, '0')}.txt`, paragraph(`bulk${i}`));
    const source = new CountingSource(new FolderSource(docs));
    const manifest = await FileManifest.open(manifestPath());
    let recorded = 0;
    let mostAhead = 0;
    const record = manifest.record.bind(manifest);
    manifest.record = async (records: readonly ManifestRecord[]) => {
      // How far the listing ran ahead of what was written and recorded.
      mostAhead = Math.max(mostAhead, source.listed - recorded);
      recorded += records.length;
      return record(records);
    };
    // Act
    const report = await ingest(new CountingEmbedder(), { source, manifest, checkpointDocuments: 5 });
    // Assess
    expect(report.seen).toBe(43);
    expect(mostAhead).toBeLessThanOrEqual(5 + 1);
  });

  it('adopts the chunks an index already holds when the manifest is missing', async () => {
    // Prepare
    await ingest(new CountingEmbedder());
    await rm(manifestPath());
    await rm(join(docs, 'notes.txt'));
    const embedder = new CountingEmbedder();
    // Act
    const report = await ingest(embedder);
    // Assess
    expect(embedder.calls).toBe(0);
    expect(report).toMatchObject({ seen: 2, unchanged: 2, deleted: 1 });
    expect((await idsOf('docs:')).some((id) => id.includes('notes.txt'))).toBe(false);
  });

  it('embeds everything again when the index lost the chunks the manifest lists', async () => {
    // Prepare
    const first = await ingest(new CountingEmbedder());
    await index.delete(await idsOf('docs:'));
    const embedder = new CountingEmbedder();
    const notes: string[] = [];
    // Act
    const report = await ingest(embedder, { log: (message) => notes.push(message) });
    // Assess
    expect(notes[0]).toMatch(/does not hold the chunks the manifest lists/);
    expect(report.chunksWritten).toBe(first.chunksWritten);
    expect(await idsOf('docs:')).toHaveLength(first.chunksWritten);
  });

  it("never touches another source's chunks, and keeps namespaces apart", async () => {
    // Prepare
    const handbook = join(root, 'handbook');
    await writeDocument(handbook, 'policy.md', `# Policy\n\n${paragraph('policy')}`);
    await ingest(new CountingEmbedder(), { dir: handbook, sourceName: 'handbook' });
    const handbookIds = await idsOf('handbook:');
    // Act
    await ingest(new CountingEmbedder());
    await rm(join(docs, 'guide.md'));
    await ingest(new CountingEmbedder());
    await ingest(new CountingEmbedder(), { namespace: 'tenant' });
    // Assess
    expect(handbookIds.length).toBeGreaterThan(0);
    expect(await idsOf('handbook:')).toEqual(handbookIds);
    expect((await idsOf('docs:', 'tenant')).length).toBe((await idsOf('docs:')).length);
  });

  it('refuses a second run on the same manifest while one is running', async () => {
    // Prepare
    const held = await FileManifest.open(manifestPath());
    // Act & Assess
    await expect(FileManifest.open(manifestPath())).rejects.toThrow(ManifestLockedError);
    await held.release();
    await (await FileManifest.open(manifestPath())).release();
  });

  it('stops before writing anything when the index does not fit the embedder', async () => {
    // Prepare
    const embedder = new CountingEmbedder();
    // Act
    const run = ingest(embedder, {
      describer: { describe: async () => ({ name: 'rag-serving-dev', dimension: 1024, metric: 'cosine' }) },
    });
    // Assess
    await expect(run).rejects.toThrow(IndexMismatchError);
    await expect(run).rejects.toThrow(
      /holds vectors of 1024 dimensions, but the embedding model produces 64/,
    );
    expect(embedder.calls).toBe(0);
    expect(await idsOf('')).toEqual([]);
  });

  it('fails with a named error for a missing directory or a bad source name', async () => {
    // Act & Assess
    await expect(ingest(new CountingEmbedder(), { dir: join(root, 'missing') })).rejects.toThrow(
      IngestDirectoryNotFoundError,
    );
    await expect(ingest(new CountingEmbedder(), { sourceName: 'a:b' })).rejects.toThrow(
      InvalidSourceNameError,
    );
    await expect(ingest(new CountingEmbedder(), { sourceName: '' })).rejects.toThrow(InvalidSourceNameError);
  });

  it('stops when aborted and keeps what was indexed before', async () => {
    // Prepare
    const controller = new AbortController();
    const counting = new CountingEmbedder();
    const embedder: Embedder = {
      dimensions: 64,
      embed: async (options) => {
        const result = await counting.embed(options);
        controller.abort();
        return result;
      },
    };
    // Act
    const run = ingest(embedder, { batchSize: 1, concurrency: 1, abortSignal: controller.signal });
    // Assess
    await expect(run).rejects.toThrow();
    expect(await idsOf('docs:')).toHaveLength(1);
  });
});

describe('FileManifest', () => {
  it('ignores a journal line cut short by a crash', async () => {
    // Prepare
    const path = manifestPath();
    await ingest(new CountingEmbedder());
    await writeFile(`${path}.journal`, '{"path":"guide.md","entry":nu');
    // Act
    const manifest = await FileManifest.open(path);
    const paths: string[] = [];
    for await (const entry of manifest.entries()) paths.push(entry.path);
    await manifest.release();
    // Assess
    expect(paths).toEqual(['api/errors.html', 'guide.md', 'notes.txt']);
  });
});
