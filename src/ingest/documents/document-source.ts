/**
 * Where documents come from: a local folder or an S3 prefix. A source lists its documents in
 * byte order of their relative paths, page by page, so that ingestion can walk the listing and
 * the manifest side by side without holding either in memory.
 */

/** One listed document. */
export interface SourceEntry {
  /** Path relative to the source's root, with `/` separators; it names the document's chunks. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * Changes whenever the content may have changed (S3's ETag, a file's size and mtime). When it
   * matches the manifest, the document is not even read.
   */
  readonly version: string;
}

export interface DocumentSource {
  /** For messages and logs: a folder path or `s3://bucket/prefix/`. */
  readonly description: string;
  /** Documents in byte order of `path` (see comparePaths); only files `isDocumentPath` accepts. */
  list(abortSignal?: AbortSignal): AsyncIterable<SourceEntry>;
  /** The document's bytes; DocumentGoneError when it no longer exists. */
  read(path: string, abortSignal?: AbortSignal): Promise<Uint8Array>;
  /** One document's entry, or undefined when it does not exist (incremental updates). */
  stat(path: string, abortSignal?: AbortSignal): Promise<SourceEntry | undefined>;
}

/** The document was removed between listing and reading: ingestion treats it as deleted. */
export class DocumentGoneError extends Error {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`'${path}' no longer exists.`, options);
    this.name = new.target.name;
  }
}

/** The source itself is unusable (missing folder, unknown bucket, no access): the run stops. */
export class DocumentSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A source listed out of order; merging it with the manifest would delete documents that exist. */
export class UnsortedListingError extends Error {
  constructor(previous: string, next: string, what: string) {
    super(`${what} is not in byte order: '${next}' came after '${previous}'.`);
    this.name = new.target.name;
  }
}

const DOCUMENT_EXTENSIONS = new Set(['md', 'markdown', 'txt', 'html', 'htm', 'pdf']);

/**
 * Whether a relative path names a document to ingest: a known extension, and no hidden segment
 * (`.git/`, `.draft.md`) or `node_modules` on the way.
 */
export function isDocumentPath(path: string): boolean {
  const segments = path.split('/');
  if (segments.some((segment) => segment === '' || segment.startsWith('.') || segment === 'node_modules'))
    return false;
  const extension = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase();
  return extension !== undefined && DOCUMENT_EXTENSIONS.has(extension);
}

const SURROGATE_OR_ABOVE = /[\uD800-\uFFFF]/;

/**
 * Orders paths by their UTF-8 bytes, as S3 lists keys and DynamoDB sorts string keys. JavaScript's
 * `<` compares UTF-16 code units, which agrees except when surrogate pairs meet U+E000–U+FFFF.
 */
export function comparePaths(a: string, b: string): number {
  if (!SURROGATE_OR_ABOVE.test(a) && !SURROGATE_OR_ABOVE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Passes entries through, failing as soon as one is out of order. */
export async function* inPathOrder<T extends { readonly path: string }>(
  entries: AsyncIterable<T>,
  what: string,
): AsyncGenerator<T> {
  let previous: string | undefined;
  for await (const entry of entries) {
    if (previous !== undefined && comparePaths(previous, entry.path) >= 0)
      throw new UnsortedListingError(previous, entry.path, what);
    previous = entry.path;
    yield entry;
  }
}
