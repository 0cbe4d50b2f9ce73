import type { IndexedChunk, QueryOptions, QueryResult, VectorIndex } from '../../core/ports/vector-index.js';
import { VectorDimensionMismatchError } from './local-index/errors.js';
import { sameStamp, stampOf } from './local-index/file-stamp.js';
import type { FileStamp } from './local-index/file-stamp.js';
import { readIndexFile, writeIndexFile } from './local-index/index-file.js';
import { rankChunks } from './local-index/ranking.js';
import type { RankingMode, RankingSettings } from './local-index/ranking.js';
import { putChunk, removeChunk, shardIn } from './local-index/shard.js';
import type { Shard } from './local-index/shard.js';
import { toRetrieved, toStored } from './local-index/stored-chunk.js';
import type { StoredChunk } from './local-index/stored-chunk.js';

export { CorruptIndexFileError, VectorDimensionMismatchError } from './local-index/errors.js';
export type { RankingMode } from './local-index/ranking.js';

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

const DEFAULT_NAMESPACE = '';

type WriteOp =
  | { readonly kind: 'upsert'; readonly namespace: string; readonly chunks: readonly StoredChunk[] }
  | { readonly kind: 'delete'; readonly namespace: string; readonly ids: readonly string[] };

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
  private readonly ranking: RankingSettings;
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
    const mode = options.mode ?? 'hybrid';
    const vectorWeight = options.vectorWeight ?? DEFAULT_VECTOR_WEIGHT;
    const titleBoost = options.titleBoost ?? DEFAULT_TITLE_BOOST;
    if (!['hybrid', 'lexical', 'vector'].includes(mode)) {
      throw new InvalidIndexOptionsError(`mode must be 'hybrid', 'lexical' or 'vector', got '${mode}'`);
    }
    if (!(vectorWeight >= 0 && vectorWeight <= 1)) {
      throw new InvalidIndexOptionsError(`vectorWeight must be between 0 and 1, got ${vectorWeight}`);
    }
    if (!(titleBoost > 0 && Number.isFinite(titleBoost))) {
      throw new InvalidIndexOptionsError(`titleBoost must be a positive number, got ${titleBoost}`);
    }
    this.ranking = { mode, vectorWeight, titleBoost };
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

    const matches = rankChunks(shard, options, this.ranking, this.dimensions).map(([id, score]) =>
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
      const shard = shardIn(this.shards, op.namespace);
      for (const chunk of op.chunks) putChunk(shard, chunk);
    } else {
      const shard = this.shards.get(op.namespace);
      if (!shard) return;
      for (const id of op.ids) removeChunk(shard, id);
      if (shard.chunks.size === 0) this.shards.delete(op.namespace);
    }
  }

  /**
   * Writes memory to the file. When another process rewrote the file since we loaded
   * it (say, an ingest of another source), its version is loaded first, with our
   * pending writes replayed on top, so both survive instead of the last writer winning.
   */
  private async persist(): Promise<void> {
    // Through refresh(), never a load of our own, so that two loads cannot race to assign memory.
    while (!sameStamp(await stampOf(this.path), this.loadedStamp)) await this.refresh();
    this.loadedStamp = await writeIndexFile(this.path, this.entries());
    this.pending = [];
  }

  private *entries(): Generator<readonly [string, StoredChunk]> {
    for (const [namespace, shard] of this.shards) {
      for (const chunk of shard.chunks.values()) yield [namespace, chunk];
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
    const stamp = await readIndexFile(this.path, (namespace, chunk) => {
      dimensions ??= chunk.vector.length;
      putChunk(shardIn(shards, namespace), chunk);
    });
    // From here to the end runs in one tick, so no write can slip between swap and replay.
    this.shards = shards;
    this.dimensions = dimensions;
    this.loadedStamp = stamp;
    for (const op of this.pending) this.apply(op);
  }
}
