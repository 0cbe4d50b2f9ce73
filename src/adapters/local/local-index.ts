import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import MiniSearch from 'minisearch';
import type { MetadataFilter, MetadataValue, RetrievedChunk } from '../../core/ports/types.js';
import type { IndexedChunk, QueryOptions, QueryResult, VectorIndex } from '../../core/ports/vector-index.js';
import { tokenize } from './tokenizer.js';

/** Which scores rank results: BM25, cosine similarity, or a weighted fusion of both. */
export type RankingMode = 'hybrid' | 'lexical' | 'vector';

export interface LocalVectorIndexOptions {
  /** @default 'hybrid' (which, at the default weight, is BM25 alone) */
  readonly mode?: RankingMode;
  /**
   * Share of the cosine score in the hybrid fused score, 0–1; BM25 gets the rest.
   * @default DEFAULT_VECTOR_WEIGHT
   */
  readonly vectorWeight?: number;
  /** BM25 weight of the title field relative to the text. @default DEFAULT_TITLE_BOOST */
  readonly titleBoost?: number;
}

/**
 * BM25 alone. DESIGN 4b: local hashed vectors were weaker than BM25, and fusing them
 * did not help on the labeled questions either (see the retrieval benchmark).
 */
export const DEFAULT_VECTOR_WEIGHT = 0;
export const DEFAULT_TITLE_BOOST = 1.25;

export class InvalidIndexOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Vectors of one index must all have one length, and a query vector must match it. */
export class VectorDimensionMismatchError extends Error {
  constructor(expected: number, actual: number, what: string) {
    super(`${what} has ${actual} dimensions but the index holds ${expected}-dimensional vectors.`);
    this.name = new.target.name;
  }
}

export class CorruptIndexFileError extends Error {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`The index file ${path} cannot be read (${detail}); delete it and run the ingest again.`, options);
    this.name = new.target.name;
  }
}

const FILE_FORMAT = 'rag-serving-local-index';
const FILE_VERSION = 1;
const DEFAULT_NAMESPACE = '';
const WRITE_BUFFER_BYTES = 1 << 20;

interface StoredChunk {
  readonly id: string;
  readonly text: string;
  readonly title: string;
  readonly location: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
  readonly vector: Float32Array;
  readonly norm: number;
}

/** One line of the index file. */
interface ChunkRecord {
  readonly namespace: string;
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly location: string;
  readonly metadata: Record<string, MetadataValue>;
  /** Little-endian float32 values, base64: a quarter of the size of a JSON number array. */
  readonly vector: string;
}

/** What a namespace holds: its chunks and their BM25 index. Namespaces share nothing, not even IDF. */
interface Shard {
  readonly chunks: Map<string, StoredChunk>;
  readonly lexical: MiniSearch<LexicalDocument>;
}

interface LexicalDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

type WriteOp =
  | { readonly kind: 'upsert'; readonly namespace: string; readonly chunks: readonly StoredChunk[] }
  | { readonly kind: 'delete'; readonly namespace: string; readonly ids: readonly string[] };

/** Identifies one version of the file; rename gives a new inode, a rewrite a new mtime or size. */
interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

/**
 * The local VectorIndex: chunks with their vectors in one JSON file, ranked by BM25
 * (MiniSearch, title boosted) and cosine similarity combined by weighted score fusion.
 *
 * The file may be rewritten by another process (the ingest CLI) while a server holds
 * this index open, so every read first compares the file's stamp (one `stat`) and
 * reloads when it changed. Writes go to a temporary file that is renamed over the index,
 * so a reader sees the old index or the new one, never half of one.
 */
export class LocalVectorIndex implements VectorIndex {
  private readonly mode: RankingMode;
  private readonly vectorWeight: number;
  private readonly titleBoost: number;
  private shards = new Map<string, Shard>();
  private dimensions: number | undefined;
  /** The file version memory reflects; null when there was no file, undefined before the first look. */
  private loadedStamp: FileStamp | null | undefined;
  /** Writes applied to memory but not yet to the file. */
  private pending: WriteOp[] = [];
  private batchDepth = 0;
  private refreshing: Promise<void> | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    options: LocalVectorIndexOptions = {},
  ) {
    this.mode = options.mode ?? 'hybrid';
    this.vectorWeight = options.vectorWeight ?? DEFAULT_VECTOR_WEIGHT;
    this.titleBoost = options.titleBoost ?? DEFAULT_TITLE_BOOST;
    if (!['hybrid', 'lexical', 'vector'].includes(this.mode)) {
      throw new InvalidIndexOptionsError(`mode must be 'hybrid', 'lexical' or 'vector', got '${this.mode}'`);
    }
    if (!(this.vectorWeight >= 0 && this.vectorWeight <= 1)) {
      throw new InvalidIndexOptionsError(`vectorWeight must be between 0 and 1, got ${this.vectorWeight}`);
    }
    if (!(this.titleBoost > 0 && Number.isFinite(this.titleBoost))) {
      throw new InvalidIndexOptionsError(`titleBoost must be a positive number, got ${this.titleBoost}`);
    }
  }

  /** Opens the index at `path`, loading it now; a missing file is an empty index. */
  static async open(path: string, options: LocalVectorIndexOptions = {}): Promise<LocalVectorIndex> {
    const index = new LocalVectorIndex(path, options);
    await index.refresh();
    return index;
  }

  /** Chunks in all namespaces, as of the last load or write. */
  get size(): number {
    let total = 0;
    for (const shard of this.shards.values()) total += shard.chunks.size;
    return total;
  }

  async query(options: QueryOptions): Promise<QueryResult> {
    options.abortSignal?.throwIfAborted();
    await this.refresh();
    const shard = this.shards.get(options.namespace ?? DEFAULT_NAMESPACE);
    if (!shard || options.topK <= 0) return { matches: [] };

    const accepts = metadataPredicate(options.filter);
    const { lexical, vector } = this.weights();
    const fused = new Map<string, number>();
    if (lexical > 0) {
      for (const [id, score] of this.lexicalScores(shard, options.text, accepts))
        fused.set(id, lexical * score);
    }
    if (vector > 0) {
      for (const [id, score] of this.vectorScores(shard, options.vector, accepts)) {
        fused.set(id, (fused.get(id) ?? 0) + vector * score);
      }
    }
    const matches = selectTop(fused, options.topK).map(([id, score]) =>
      toRetrieved(shard.chunks.get(id) as StoredChunk, score),
    );
    return { matches };
  }

  async upsert(
    chunks: readonly IndexedChunk[],
    options: { readonly namespace?: string } = {},
  ): Promise<void> {
    if (chunks.length === 0) return;
    const stored = chunks.map(toStored);
    await this.write({ kind: 'upsert', namespace: options.namespace ?? DEFAULT_NAMESPACE, chunks: stored });
  }

  async delete(ids: readonly string[], options: { readonly namespace?: string } = {}): Promise<void> {
    if (ids.length === 0) return;
    await this.write({ kind: 'delete', namespace: options.namespace ?? DEFAULT_NAMESPACE, ids: [...ids] });
  }

  async listIds(prefix: string, options: { readonly namespace?: string } = {}): Promise<readonly string[]> {
    await this.refresh();
    const shard = this.shards.get(options.namespace ?? DEFAULT_NAMESPACE);
    if (!shard) return [];
    return [...shard.chunks.keys()].filter((id) => id.startsWith(prefix)).sort();
  }

  /**
   * Runs `work` with the file written once at the end instead of once per upsert or
   * delete: an ingest of many batches then costs one rewrite, not one per batch. The
   * writes made before a failure are still persisted, so an interrupted ingest keeps
   * its progress and the next run continues from there.
   */
  async batch<T>(work: () => Promise<T>): Promise<T> {
    this.batchDepth++;
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.endBatch().catch(() => undefined);
      throw error;
    }
    await this.endBatch();
    return result;
  }

  private async endBatch(): Promise<void> {
    this.batchDepth--;
    if (this.batchDepth === 0 && this.pending.length > 0) await this.serialized(() => this.persist());
  }

  // ---------------------------------------------------------------------------
  // Ranking

  private weights(): { lexical: number; vector: number } {
    if (this.mode === 'lexical') return { lexical: 1, vector: 0 };
    if (this.mode === 'vector') return { lexical: 0, vector: 1 };
    return { lexical: 1 - this.vectorWeight, vector: this.vectorWeight };
  }

  /** BM25 scores divided by the best one, so they lie in (0, 1] like the cosine scores. */
  private lexicalScores(shard: Shard, text: string, accepts: ChunkPredicate | undefined): [string, number][] {
    const results = shard.lexical.search(text, {
      boost: { title: this.titleBoost },
      ...(accepts && { filter: (result) => accepts(shard.chunks.get(result.id as string) as StoredChunk) }),
    });
    const best = results[0]?.score ?? 0;
    return best > 0 ? results.map((result) => [result.id as string, result.score / best]) : [];
  }

  /** Positive cosine similarities divided by the best one. */
  private vectorScores(
    shard: Shard,
    queryVector: readonly number[],
    accepts: ChunkPredicate | undefined,
  ): [string, number][] {
    if (this.dimensions !== undefined && queryVector.length !== this.dimensions) {
      throw new VectorDimensionMismatchError(this.dimensions, queryVector.length, 'The query vector');
    }
    const queryNorm = normOf(queryVector);
    if (queryNorm === 0) return [];
    const scores: [string, number][] = [];
    let best = 0;
    for (const chunk of shard.chunks.values()) {
      if (chunk.norm === 0 || (accepts && !accepts(chunk))) continue;
      let dot = 0;
      for (let i = 0; i < queryVector.length; i++)
        dot += (queryVector[i] as number) * (chunk.vector[i] as number);
      const cosine = dot / (queryNorm * chunk.norm);
      if (cosine <= 0) continue;
      scores.push([chunk.id, cosine]);
      if (cosine > best) best = cosine;
    }
    for (const entry of scores) entry[1] /= best;
    return scores;
  }

  // ---------------------------------------------------------------------------
  // Writes

  private write(op: WriteOp): Promise<void> {
    return this.serialized(async () => {
      await this.refresh();
      this.apply(op);
      this.pending.push(op);
      if (this.batchDepth === 0) await this.persist();
    });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(task, task);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private apply(op: WriteOp): void {
    if (op.kind === 'upsert') {
      // An empty index takes the length of whatever comes first; after that every vector must match it.
      const dimensions = (this.size > 0 ? this.dimensions : undefined) ?? op.chunks[0]?.vector.length ?? 0;
      for (const chunk of op.chunks) {
        if (chunk.vector.length !== dimensions) {
          throw new VectorDimensionMismatchError(dimensions, chunk.vector.length, `Chunk '${chunk.id}'`);
        }
      }
      this.dimensions = dimensions;
      const shard = this.shardFor(op.namespace);
      for (const chunk of op.chunks) putChunk(shard, chunk);
    } else {
      const shard = this.shards.get(op.namespace);
      if (!shard) return;
      for (const id of op.ids) removeChunk(shard, id);
      if (shard.chunks.size === 0) this.shards.delete(op.namespace);
    }
  }

  private shardFor(namespace: string): Shard {
    let shard = this.shards.get(namespace);
    if (!shard) {
      shard = { chunks: new Map(), lexical: newLexicalIndex() };
      this.shards.set(namespace, shard);
    }
    return shard;
  }

  /**
   * Writes memory to the file. When another process rewrote the file since we loaded
   * it (say, an ingest of another source), its version is loaded first, with our
   * pending writes replayed on top, so both survive instead of the last writer winning.
   */
  private async persist(): Promise<void> {
    // Through refresh(), never a load of our own, so that two loads cannot race to assign memory.
    while (!sameStamp(await stampOf(this.path), this.loadedStamp)) await this.refresh();
    this.loadedStamp = await writeAtomically(this.path, this.records());
    this.pending = [];
  }

  private *records(): Generator<ChunkRecord> {
    for (const [namespace, shard] of this.shards) {
      for (const chunk of shard.chunks.values()) yield toRecord(namespace, chunk);
    }
  }

  // ---------------------------------------------------------------------------
  // Reads

  /** Reloads when the file changed since memory last matched it; concurrent callers share one reload. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.refreshIfStale().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshIfStale(): Promise<void> {
    const current = await stampOf(this.path);
    if (this.loadedStamp !== undefined && sameStamp(current, this.loadedStamp)) return;
    await this.load();
  }

  /**
   * Replaces memory with the file, then replays our unsaved writes on top: they are
   * newer than anything on disk, and upserts and deletes are idempotent.
   */
  private async load(): Promise<void> {
    const shards = new Map<string, Shard>();
    let dimensions: number | undefined;
    const stamp = await readIndexFile(this.path, (record) => {
      const chunk = fromRecord(record);
      dimensions ??= chunk.vector.length;
      let shard = shards.get(record.namespace);
      if (!shard) {
        shard = { chunks: new Map(), lexical: newLexicalIndex() };
        shards.set(record.namespace, shard);
      }
      putChunk(shard, chunk);
    });
    // From here to the end runs in one tick, so no write can slip between swap and replay.
    this.shards = shards;
    this.dimensions = dimensions;
    this.loadedStamp = stamp;
    for (const op of this.pending) this.apply(op);
  }
}

// -----------------------------------------------------------------------------
// Chunks in memory

function newLexicalIndex(): MiniSearch<LexicalDocument> {
  return new MiniSearch<LexicalDocument>({
    fields: ['title', 'text'],
    tokenize: (text) => tokenize(text),
    // The tokenizer already lowercases, splits identifiers and drops stopwords.
    processTerm: (term) => term,
  });
}

function putChunk(shard: Shard, chunk: StoredChunk): void {
  removeChunk(shard, chunk.id);
  shard.chunks.set(chunk.id, chunk);
  shard.lexical.add({ id: chunk.id, title: chunk.title, text: chunk.text });
}

function removeChunk(shard: Shard, id: string): void {
  const existing = shard.chunks.get(id);
  if (!existing) return;
  // remove() with the indexed fields is exact and synchronous, unlike discard()'s background vacuum.
  shard.lexical.remove({ id, title: existing.title, text: existing.text });
  shard.chunks.delete(id);
}

function toStored(chunk: IndexedChunk): StoredChunk {
  const vector = Float32Array.from(chunk.vector);
  return {
    id: chunk.id,
    text: chunk.text,
    title: chunk.title,
    location: chunk.location,
    metadata: { ...chunk.metadata },
    vector,
    norm: normOf(vector),
  };
}

function toRetrieved(chunk: StoredChunk, score: number): RetrievedChunk {
  return {
    id: chunk.id,
    text: chunk.text,
    title: chunk.title,
    location: chunk.location,
    metadata: chunk.metadata,
    score,
  };
}

function normOf(vector: ArrayLike<number> & Iterable<number>): number {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  return Math.sqrt(sumOfSquares);
}

type ChunkPredicate = (chunk: StoredChunk) => boolean;

function metadataPredicate(filter: MetadataFilter | undefined): ChunkPredicate | undefined {
  const entries = Object.entries(filter ?? {});
  if (entries.length === 0) return undefined;
  return (chunk) => entries.every(([key, value]) => chunk.metadata[key] === value);
}

/** The k best entries by score, ties broken by id so that equal inputs rank equally. */
function selectTop(scores: Map<string, number>, k: number): [string, number][] {
  const best: [string, number][] = [];
  const before = (a: [string, number], b: [string, number]): boolean =>
    a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of scores) {
    if (entry[1] <= 0) continue;
    if (best.length === k && !before(entry, best[k - 1] as [string, number])) continue;
    let position = best.length;
    while (position > 0 && before(entry, best[position - 1] as [string, number])) position--;
    best.splice(position, 0, entry);
    if (best.length > k) best.pop();
  }
  return best;
}

// -----------------------------------------------------------------------------
// The index file: valid JSON, laid out one chunk per line so that it can be written
// and read as a stream. One JSON.stringify of 100k chunks would pass V8's string limit.

function toRecord(namespace: string, chunk: StoredChunk): ChunkRecord {
  const bytes = Buffer.from(chunk.vector.buffer, chunk.vector.byteOffset, chunk.vector.byteLength);
  return {
    namespace,
    id: chunk.id,
    title: chunk.title,
    text: chunk.text,
    location: chunk.location,
    metadata: { ...chunk.metadata },
    vector: bytes.toString('base64'),
  };
}

function fromRecord(record: ChunkRecord): StoredChunk {
  const bytes = Buffer.from(record.vector, 'base64');
  // Copy into a fresh buffer: the decoded bytes may sit at an offset that is not float-aligned.
  const vector = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(vector.buffer).set(bytes);
  return {
    id: record.id,
    text: record.text,
    title: record.title,
    location: record.location,
    metadata: record.metadata,
    vector,
    norm: normOf(vector),
  };
}

function headerLine(): string {
  return `{"format":"${FILE_FORMAT}","version":${FILE_VERSION},"chunks":[`;
}

/** Writes the records to a temporary file beside `path`, then renames it over `path`. */
async function writeAtomically(path: string, records: Iterable<ChunkRecord>): Promise<FileStamp> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'w');
  try {
    let buffered = `${headerLine()}\n`;
    let first = true;
    for (const record of records) {
      buffered += `${first ? '' : ',\n'}${JSON.stringify(record)}`;
      first = false;
      if (buffered.length >= WRITE_BUFFER_BYTES) {
        await handle.write(buffered);
        buffered = '';
      }
    }
    await handle.write(`${buffered}${first ? '' : '\n'}]}\n`);
    await handle.sync();
    // rename keeps the inode, size and mtime, so this is the stamp readers will see.
    const { mtimeMs, size, ino } = await handle.stat();
    await handle.close();
    await rename(temporary, path);
    return { mtimeMs, size, ino };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Streams the records of the file at `path` to `onRecord`; returns its stamp, or null when it does not exist. */
async function readIndexFile(
  path: string,
  onRecord: (record: ChunkRecord) => void,
): Promise<FileStamp | null> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return null;
  const { mtimeMs, size, ino } = await handle.stat();
  const lines = createInterface({
    input: createReadStream('', { fd: handle.fd, autoClose: false }),
    crlfDelay: Infinity,
  });
  let lineNumber = 0;
  let ended = false;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (lineNumber === 1) {
        checkHeader(path, line);
      } else if (line === ']}') {
        ended = true;
      } else if (line !== '' && !ended) {
        onRecord(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as ChunkRecord);
      }
    }
  } catch (error) {
    if (error instanceof CorruptIndexFileError) throw error;
    throw new CorruptIndexFileError(path, `line ${lineNumber} is not a chunk record`, { cause: error });
  } finally {
    lines.close();
    await handle.close();
  }
  if (lineNumber === 0 && size === 0) return { mtimeMs, size, ino };
  if (!ended) throw new CorruptIndexFileError(path, 'it ends early');
  return { mtimeMs, size, ino };
}

function checkHeader(path: string, line: string): void {
  let header: { format?: unknown; version?: unknown };
  try {
    header = JSON.parse(`${line}]}`) as { format?: unknown; version?: unknown };
  } catch (error) {
    throw new CorruptIndexFileError(path, 'it does not start with an index header', { cause: error });
  }
  if (header.format !== FILE_FORMAT || header.version !== FILE_VERSION) {
    throw new CorruptIndexFileError(
      path,
      `unknown format ${String(header.format)} version ${String(header.version)}`,
    );
  }
}

async function stampOf(path: string): Promise<FileStamp | null> {
  try {
    const { mtimeMs, size, ino } = await stat(path);
    return { mtimeMs, size, ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function sameStamp(a: FileStamp | null | undefined, b: FileStamp | null | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}
