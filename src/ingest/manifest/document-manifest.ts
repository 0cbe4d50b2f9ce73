/**
 * The manifest: what ingestion last wrote for each document of one source (and namespace): its
 * content hash, the version the source reported, and its chunk ids. An unchanged document then
 * costs no embedding call (and, when its version matches, not even a read), and the chunks of an
 * edited or removed document are known without asking the index.
 */

export interface ManifestEntry {
  /** Relative path of the document in its source. */
  readonly path: string;
  /** SHA-256 of the document's bytes, hex; '' when unknown (entries adopted from the index). */
  readonly contentHash: string;
  /** The source's version of the document when it was ingested (ETag, size and mtime); '' when unknown. */
  readonly version: string;
  /** Ids of the chunks the document has in the index. */
  readonly chunkIds: readonly string[];
}

/** What a checkpoint did to one document, recorded once its index writes are durable. */
export interface ManifestRecord {
  readonly path: string;
  /** The document's entry from now on; undefined when it has no chunks in the index any more. */
  readonly entry: ManifestEntry | undefined;
  /** False for documents seen and left as they were (a full reconcile records those too). */
  readonly changed: boolean;
}

export interface DocumentManifest {
  /** Every entry, in byte order of `path` (see comparePaths). */
  entries(abortSignal?: AbortSignal): AsyncIterable<ManifestEntry>;
  /**
   * Records one checkpoint. During a full reconcile every document of the source arrives here,
   * checkpoint after checkpoint, in path order; incremental updates record only what they touched.
   */
  record(records: readonly ManifestRecord[]): Promise<void>;
  /** A full reconcile went through every document: entries not recorded are gone. */
  complete(): Promise<void>;
  /** Releases locks and files; called once at the end of every run, successful or not. */
  release(): Promise<void>;
}

/** A manifest that can look documents up one by one (incremental updates from S3 events). */
export interface IncrementalManifest extends DocumentManifest {
  get(paths: readonly string[], abortSignal?: AbortSignal): Promise<ReadonlyMap<string, ManifestEntry>>;
}
