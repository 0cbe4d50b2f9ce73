import pLimit from 'p-limit';
import type { Embedder } from '../core/ports/embedder.js';
import type { IndexDescriber } from '../core/ports/index-description.js';
import type { Chunk } from '../core/ports/types.js';
import type { IndexedChunk, VectorIndex } from '../core/ports/vector-index.js';
import type { Decision } from './document-decision.js';
import { assertIndexFits } from './index-compatibility.js';
import type { IngestTally } from './ingest-report.js';
import type { DocumentManifest, ManifestRecord } from './manifest/document-manifest.js';

/** Where a run writes: the embedder and index, and how writes are grouped. */
export interface IngestTarget {
  readonly embedder: Embedder;
  readonly index: VectorIndex;
  /** Tenant partition of the index; absent means the default namespace. */
  readonly namespace?: string;
  /**
   * Describes the index so that its dimension and metric are checked against the embedder before
   * the first write. @default - no check (the local index checks every vector itself)
   */
  readonly describer?: IndexDescriber;
  /**
   * Runs the index writes of one checkpoint, e.g. as one rewrite of the local index file; the
   * manifest records the checkpoint only after it returns, so it never runs ahead of the index.
   * @default the writes run as they are
   */
  readonly writeBatch?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Chunks per embedding call and per upsert. @default 64 */
  readonly batchSize?: number;
  /** Embedding batches in flight at once: remote embedders are latency-bound. @default 4 */
  readonly concurrency?: number;
}

export class EmbeddingCountMismatchError extends Error {
  constructor(expected: number, actual: number) {
    super(`The embedder returned ${actual} vectors for ${expected} texts.`);
    this.name = new.target.name;
  }
}

/** Pinecone accepts at most 1,000 ids per delete request. */
const DELETE_BATCH = 1000;

/**
 * Carries out one checkpoint's decisions: new chunks are embedded and upserted, then stale ones
 * deleted (so a reader never sees an edited document without chunks), and only then is the
 * manifest told. A run that dies midway therefore leaves the manifest describing less than the
 * index holds, never more, and the next run redoes the unrecorded documents idempotently.
 */
export class CheckpointWriter {
  private indexChecked: Promise<void> | undefined;

  constructor(
    private readonly target: IngestTarget,
    private readonly manifest: DocumentManifest,
    private readonly tally: IngestTally,
    private readonly abortSignal?: AbortSignal,
  ) {}

  async write(decisions: readonly Decision[]): Promise<void> {
    const chunks = decisions.flatMap((decision) => (decision.kind === 'write' ? decision.chunks : []));
    const stale = decisions.flatMap((decision) =>
      decision.kind === 'write' || decision.kind === 'remove' ? decision.stale : [],
    );
    if (chunks.length > 0 || stale.length > 0) {
      this.indexChecked ??= this.checkIndex();
      await this.indexChecked;
      const writeBatch = this.target.writeBatch ?? ((work) => work());
      await writeBatch(async () => {
        await this.embedAndUpsert(chunks);
        await this.deleteChunks(stale);
      });
    }
    await this.manifest.record(decisions.map(toRecord));
    for (const decision of decisions) this.count(decision);
  }

  private async checkIndex(): Promise<void> {
    if (!this.target.describer) return;
    assertIndexFits(await this.target.describer.describe(this.abortSignal), this.target.embedder);
  }

  private count(decision: Decision): void {
    switch (decision.kind) {
      case 'keep':
        this.tally.add('unchanged');
        return;
      case 'write':
        this.tally.add(decision.status);
        this.tally.add('chunksWritten', decision.chunks.length);
        this.tally.add('chunksDeleted', decision.stale.length);
        return;
      case 'remove':
        if (decision.reason !== undefined) this.tally.skip({ path: decision.path, reason: decision.reason });
        else if (decision.known) this.tally.add('deleted');
        this.tally.add('chunksDeleted', decision.stale.length);
        return;
      case 'fail':
        this.tally.fail({ path: decision.path, reason: decision.reason });
        return;
    }
  }

  private async embedAndUpsert(chunks: readonly Chunk[]): Promise<void> {
    const batchSize = Math.max(1, this.target.batchSize ?? 64);
    const limit = pLimit(Math.max(1, this.target.concurrency ?? 4));
    const batches: Chunk[][] = [];
    for (let start = 0; start < chunks.length; start += batchSize)
      batches.push(chunks.slice(start, start + batchSize));
    let failed = false;
    const outcomes = await Promise.allSettled(
      batches.map((batch) =>
        limit(async () => {
          // After a failure the queued batches stand down and the ones in flight finish, so that
          // nothing keeps writing to the index once the run has returned.
          if (failed) return;
          try {
            this.abortSignal?.throwIfAborted();
            await this.embedAndUpsertBatch(batch);
          } catch (error) {
            failed = true;
            throw error;
          }
        }),
      ),
    );
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async embedAndUpsertBatch(batch: readonly Chunk[]): Promise<void> {
    const { vectors, usage } = await this.target.embedder.embed({
      // The heading path gives the vector the same context BM25 gets from the title field.
      texts: batch.map((chunk) => `${chunk.title}\n\n${chunk.text}`),
      purpose: 'document',
      ...(this.abortSignal && { abortSignal: this.abortSignal }),
    });
    if (vectors.length !== batch.length) throw new EmbeddingCountMismatchError(batch.length, vectors.length);
    this.tally.add('embeddingTokens', usage.inputTokens);
    const indexed: IndexedChunk[] = batch.map((chunk, i) => ({
      ...chunk,
      vector: vectors[i] as readonly number[],
    }));
    await this.target.index.upsert(indexed, this.namespaceOption());
  }

  private async deleteChunks(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += DELETE_BATCH) {
      this.abortSignal?.throwIfAborted();
      await this.target.index.delete(ids.slice(start, start + DELETE_BATCH), this.namespaceOption());
    }
  }

  private namespaceOption(): { namespace?: string } {
    return this.target.namespace === undefined ? {} : { namespace: this.target.namespace };
  }
}

function toRecord(decision: Decision): ManifestRecord {
  switch (decision.kind) {
    case 'keep':
      return { path: decision.path, entry: decision.entry, changed: decision.touched };
    case 'write':
      return { path: decision.path, entry: decision.entry, changed: true };
    case 'remove':
      return { path: decision.path, entry: undefined, changed: decision.known };
    case 'fail':
      return { path: decision.path, entry: decision.previous, changed: false };
  }
}
