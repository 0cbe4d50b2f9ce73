import type { VectorIndex } from '../../core/ports/vector-index.js';
import { comparePaths } from '../documents/document-source.js';
import type { DocumentManifest, ManifestEntry } from './document-manifest.js';

/** `<source>:<path>#<position>-<hash>`: the id chunk-record.ts gives every chunk. */
const CHUNK_ID_TAIL = /#\d+-[0-9a-f]{10}$/;

/**
 * A manifest read back from the index: the chunk ids of one source, grouped by document, with
 * content hash and version unknown. Ingestion falls back to it when a source has no manifest yet
 * (an index filled before manifests existed, or a manifest that was deleted): every document is
 * then read and chunked again, but chunks the index already holds are not embedded again, and
 * chunks of documents that are gone are removed. It lists every id of the source once, so it is
 * the one place where memory grows with the index; the stores keep nothing.
 */
export class IndexDerivedManifest implements DocumentManifest {
  constructor(
    private readonly options: {
      readonly index: VectorIndex;
      readonly sourceName: string;
      readonly namespace?: string;
    },
  ) {}

  async *entries(): AsyncGenerator<ManifestEntry> {
    const { index, sourceName, namespace } = this.options;
    const prefix = `${sourceName}:`;
    const ids = await index.listIds(prefix, namespace === undefined ? {} : { namespace });
    const byPath = new Map<string, string[]>();
    for (const id of ids) {
      if (!CHUNK_ID_TAIL.test(id)) continue;
      const path = id.slice(prefix.length).replace(CHUNK_ID_TAIL, '');
      const chunks = byPath.get(path);
      if (chunks) chunks.push(id);
      else byPath.set(path, [id]);
    }
    for (const path of [...byPath.keys()].sort(comparePaths)) {
      yield { path, contentHash: '', version: '', chunkIds: byPath.get(path) ?? [] };
    }
  }

  async record(): Promise<void> {}
  async complete(): Promise<void> {}
  async release(): Promise<void> {}
}
