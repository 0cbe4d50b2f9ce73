import type { FileHandle } from 'node:fs/promises';
import type { MetadataValue } from '../../../core/ports/types.js';

/**
 * One namespace of an index file as a query reads it: BM25 postings, field lengths, ids, locations
 * and metadata in memory; every chunk's title and text stay in the file and are read for the few
 * chunks a query returns, so memory does not grow with the text. Vectors are read into memory only
 * by a ranking that uses them.
 */
/** What a namespace holds for each chunk, in chunk order, as the file stores it. */
export interface SegmentContent {
  readonly count: number;
  readonly ids: readonly string[];
  readonly locations: readonly string[];
  readonly metadata: readonly Readonly<Record<string, MetadataValue>>[];
  /** Terms in each chunk's text and title, counted with repeats. */
  readonly textLength: Uint32Array;
  readonly titleLength: Uint32Array;
  /** Postings of term number t are positions postingStart[t] to postingStart[t + 1]. */
  readonly termList: readonly string[];
  readonly postingStart: Uint32Array;
  /** Chunk numbers, ascending within a term, and the term's counts in that chunk's text and title. */
  readonly postingDoc: Uint32Array;
  readonly postingText: Uint16Array;
  readonly postingTitle: Uint16Array;
  /** L2 length of each chunk's vector. */
  readonly norms: Float32Array;
}

export interface Segment extends SegmentContent {
  readonly docNumbers: ReadonlyMap<string, number>;
  readonly totalTextLength: number;
  readonly totalTitleLength: number;
  /** Term → its number. */
  readonly terms: ReadonlyMap<string, number>;
  /** Every chunk's vector, row after row; read from the file on first use, then kept. */
  vectors(): Promise<Float32Array>;
  /** Title and text of a chunk, read from the file. */
  passage(doc: number): Promise<Passage>;
  /** A chunk's title-and-text record as stored, to copy into a new file without parsing it. */
  passageBytes(doc: number): Promise<Buffer>;
}

export interface Passage {
  readonly title: string;
  readonly text: string;
}

/**
 * Closes the file of a version nobody closed (an index dropped without `close()`), when the version
 * itself is collected: Node deprecates leaving that to a FileHandle's own collection.
 */
const unclosedFiles = new FinalizationRegistry<FileHandle>((handle) => {
  handle.close().catch(() => undefined);
});

/**
 * One version of the index file, open for reading while queries use it. The file may be replaced
 * (renamed over) at any time; the open handle keeps reading the version the segments came from,
 * and is closed once no query uses that version any more.
 */
export class IndexFileVersion {
  private users = 0;
  private retired = false;

  constructor(
    private readonly handle: FileHandle,
    readonly segments: ReadonlyMap<string, Segment>,
    readonly dimensions: number | undefined,
  ) {
    unclosedFiles.register(this, handle, this);
  }

  /** Runs `work` with the file kept open. */
  async use<T>(work: () => Promise<T>): Promise<T> {
    this.users++;
    try {
      return await work();
    } finally {
      this.users--;
      if (this.retired && this.users === 0) await this.close();
    }
  }

  /** Closes the file now, or when the last query using it is done. */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.users === 0) await this.close();
  }

  private closing: Promise<void> | undefined;
  private close(): Promise<void> {
    unclosedFiles.unregister(this);
    this.closing ??= this.handle.close().catch(() => undefined);
    return this.closing;
  }
}
