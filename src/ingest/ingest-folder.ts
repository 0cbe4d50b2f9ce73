import type { IngestTarget } from './checkpoint-writer.js';
import { FolderSource } from './documents/folder-source.js';
import type { IngestReport } from './ingest-report.js';
import { reconcile, type IngestionOptions } from './ingestion.js';
import type { DocumentManifest } from './manifest/document-manifest.js';
import { IndexDerivedManifest } from './manifest/index-derived-manifest.js';

export interface IngestFolderOptions
  extends
    IngestTarget,
    Pick<IngestionOptions, 'maxDocumentBytes' | 'chunking' | 'onProgress' | 'abortSignal' | 'log'> {
  readonly dir: string;
  /** Names the folder's chunks; ids start with `<source>:`, so sources never touch each other. */
  readonly source: string;
  /**
   * What earlier runs wrote. @default - derived from the index's chunk ids: every document is read
   * and chunked again, but only chunks the index lacks are embedded
   */
  readonly manifest?: DocumentManifest;
}

/** Brings the index in line with a local folder (a full reconcile of a FolderSource). */
export function ingestFolder(options: IngestFolderOptions): Promise<IngestReport> {
  const { dir, source, manifest, ...rest } = options;
  return reconcile({
    ...rest,
    source: new FolderSource(dir),
    sourceName: source,
    manifest:
      manifest ??
      new IndexDerivedManifest({
        index: options.index,
        sourceName: source,
        ...(options.namespace !== undefined && { namespace: options.namespace }),
      }),
  });
}
