import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import { FolderSource } from '../../src/ingest/documents/folder-source.js';
import { reconcile } from '../../src/ingest/ingestion.js';
import type { ManifestEntry, ManifestRecord } from '../../src/ingest/manifest/document-manifest.js';
import { FileManifest } from '../../src/ingest/manifest/file-manifest.js';
import { localManifestPath } from '../../src/ingest/manifest/local-manifest-path.js';
import { writeGeneratedCorpus } from '../support/generated-corpus.js';
import { CountingEmbedder, CountingSource } from '../support/ingestion.js';

const DOCUMENTS = 5_000;
const CHECKPOINT = 200;

let root: string;
let docs: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ingestion-scale-'));
  docs = await writeGeneratedCorpus(join(root, 'docs'), DOCUMENTS);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A manifest that measures how far the listing and the manifest's own entries run ahead of what
 * has been written and recorded: the documents a run holds at once.
 */
async function measuredManifest(source: CountingSource) {
  const manifest = await FileManifest.open(localManifestPath(join(root, 'data'), 'generated'));
  const stats = { recorded: 0, entriesRead: 0, listingAhead: 0, entriesAhead: 0 };
  const entries = manifest.entries.bind(manifest);
  manifest.entries = async function* (): AsyncGenerator<ManifestEntry> {
    for await (const entry of entries()) {
      stats.entriesRead++;
      yield entry;
    }
  };
  const record = manifest.record.bind(manifest);
  manifest.record = async (records: readonly ManifestRecord[]) => {
    stats.listingAhead = Math.max(stats.listingAhead, source.listed - stats.recorded);
    stats.entriesAhead = Math.max(stats.entriesAhead, stats.entriesRead - stats.recorded);
    stats.recorded += records.length;
    return record(records);
  };
  return { manifest, stats };
}

describe(`Ingestion of ${DOCUMENTS} generated documents into the local index`, () => {
  it('indexes them all, then finds nothing to do, holding one checkpoint of documents at a time', async () => {
    // Prepare
    const { embedder: _, index } = await openLocalRetrieval(join(root, 'data'));
    const embedder = new CountingEmbedder();
    const run = async () => {
      const source = new CountingSource(new FolderSource(docs));
      const { manifest, stats } = await measuredManifest(source);
      const report = await reconcile({
        source,
        sourceName: 'generated',
        embedder,
        index,
        manifest,
        writeBatch: (work) => index.batch(work),
        checkpointDocuments: CHECKPOINT,
      });
      return { report, stats, reads: source.reads };
    };

    // Act
    const first = await run();
    const callsAfterFirst = embedder.calls;
    const second = await run();

    // Assess
    expect(first.report).toMatchObject({
      seen: DOCUMENTS,
      added: DOCUMENTS,
      failed: 0,
      chunksWritten: DOCUMENTS,
    });
    expect(await index.listIds('generated:')).toHaveLength(DOCUMENTS);
    expect(second.report).toMatchObject({ seen: DOCUMENTS, unchanged: DOCUMENTS, chunksWritten: 0 });
    expect(embedder.calls).toBe(callsAfterFirst);
    expect(second.reads).toBe(0);
    // Bounded memory: the listing (and, on the second run, the manifest) never runs more than one
    // checkpoint (plus the one entry the merge looks ahead) beyond what is already recorded.
    for (const { stats } of [first, second]) expect(stats.listingAhead).toBeLessThanOrEqual(CHECKPOINT + 1);
    expect(second.stats.entriesRead).toBe(DOCUMENTS);
    expect(second.stats.entriesAhead).toBeLessThanOrEqual(CHECKPOINT + 1);
  });
});
