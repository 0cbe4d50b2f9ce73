import pLimit from 'p-limit';
import { CheckpointWriter, type IngestTarget } from './checkpoint-writer.js';
import type { ChunkingOptions } from './chunker.js';
import { decide, type Decision, type DecisionContext, type DocumentState } from './document-decision.js';
import {
  comparePaths,
  inPathOrder,
  isDocumentPath,
  type DocumentSource,
  type SourceEntry,
} from './documents/document-source.js';
import { IngestTally, type IngestReport } from './ingest-report.js';
import type { DocumentManifest, IncrementalManifest, ManifestEntry } from './manifest/document-manifest.js';
import { IndexDerivedManifest } from './manifest/index-derived-manifest.js';

export interface IngestionOptions extends IngestTarget {
  readonly source: DocumentSource;
  /** Names the source's chunks: their ids start with `<sourceName>:`, so sources never touch each other. */
  readonly sourceName: string;
  /** What earlier runs wrote for this source and namespace; the run releases it when it ends. */
  readonly manifest: DocumentManifest;
  /** Larger documents are skipped with a reason. @default 10 MiB */
  readonly maxDocumentBytes?: number;
  /** Documents read and parsed at once (S3 reads are latency-bound). @default 8 */
  readonly readConcurrency?: number;
  /** Documents per checkpoint: the most a crash can make the next run redo. @default 200 */
  readonly checkpointDocuments?: number;
  /** Bytes of documents read per checkpoint, which bounds the chunks held in memory. @default 32 MiB */
  readonly checkpointBytes?: number;
  readonly chunking?: ChunkingOptions;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Notes worth a user's attention (a manifest that no longer matches the index, say). */
  readonly log?: (message: string) => void;
  readonly abortSignal?: AbortSignal;
}

export interface IngestProgress {
  /** Documents decided and recorded so far. */
  readonly documents: number;
  readonly chunksWritten: number;
}

/** A document named by an event: written (or overwritten), or removed. */
export interface DocumentChange {
  readonly path: string;
  readonly removed?: boolean;
  /** Size and version from the event or listing; otherwise the source is asked. */
  readonly listed?: SourceEntry;
}

export class InvalidSourceNameError extends Error {
  constructor(source: string) {
    super(
      `Invalid source name '${source}': use 1–100 characters without ':', '/', '\\' or '#' ` +
        `(it prefixes chunk ids), e.g. --source docs.`,
    );
    this.name = new.target.name;
  }
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/**
 * Brings the index in line with the whole source: new and changed documents are indexed, removed
 * ones deleted, unchanged ones cost nothing. The listing and the manifest are walked side by side
 * in path order, a checkpoint of documents at a time, so memory holds one checkpoint, never the
 * corpus. `force` re-embeds every document (after changing the embedding model, say).
 */
export async function reconcile(
  options: IngestionOptions & { readonly force?: boolean },
): Promise<IngestReport> {
  return withRun(options, async (run) => {
    const { entries, force } = await previousEntries(options, options.force ?? false);
    const states = alongside(
      inPathOrder(options.source.list(options.abortSignal), `The listing of ${options.source.description}`),
      inPathOrder(entries, 'The manifest'),
    );
    await run.decideAll(states, { force });
    await options.manifest.complete();
  });
}

/**
 * Removes the chunks of documents that are in the manifest but no longer in the source, leaving
 * every other document alone: the last step of a cloud run, whose map indexed the listed documents.
 */
export async function pruneRemoved(options: IngestionOptions): Promise<IngestReport> {
  return withRun(options, async (run) => {
    const states = alongside(
      inPathOrder(options.source.list(options.abortSignal), `The listing of ${options.source.description}`),
      inPathOrder(options.manifest.entries(options.abortSignal), 'The manifest'),
    );
    await run.decideAll(states, { force: false, removalsOnly: true });
    await options.manifest.complete();
  });
}

/** Indexes or removes the documents that events named (S3 notifications, a map's batch of keys). */
export async function applyChanges(
  options: Omit<IngestionOptions, 'manifest'> & {
    readonly manifest: IncrementalManifest;
    readonly changes: readonly DocumentChange[];
  },
): Promise<IngestReport> {
  return withRun(options, async (run) => {
    // The last event for a path wins (created, then removed, in one batch: removed).
    const latest = new Map(options.changes.filter((c) => isDocumentPath(c.path)).map((c) => [c.path, c]));
    const changes = [...latest.values()].sort((a, b) => comparePaths(a.path, b.path));
    const states = async function* (): AsyncGenerator<DocumentState> {
      const size = run.checkpointDocuments;
      for (let start = 0; start < changes.length; start += size) {
        const group = changes.slice(start, start + size);
        const previous = await options.manifest.get(
          group.map((change) => change.path),
          options.abortSignal,
        );
        for (const change of group) {
          const listed = change.removed
            ? undefined
            : (change.listed ?? (await options.source.stat(change.path, options.abortSignal)));
          const entry = previous.get(change.path);
          yield { path: change.path, ...(listed && { listed }), ...(entry && { previous: entry }) };
        }
      }
    };
    await run.decideAll(states(), { force: false });
  });
}

function assertValidSourceName(source: string): void {
  if (source.length === 0 || source.length > 100 || /[:/\\#\p{Cc}]/u.test(source))
    throw new InvalidSourceNameError(source);
}

async function withRun(
  options: IngestionOptions,
  work: (run: IngestionRun) => Promise<void>,
): Promise<IngestReport> {
  try {
    assertValidSourceName(options.sourceName);
    const run = new IngestionRun(options);
    await work(run);
    return run.tally.report();
  } finally {
    await options.manifest.release();
  }
}

/**
 * The manifest's entries for this run. A source without a manifest (indexed before manifests
 * existed, or its manifest deleted) adopts the chunks the index already holds. A manifest whose
 * first chunk the index does not have describes an index that was emptied or replaced: every
 * document is then embedded again.
 */
async function previousEntries(
  options: IngestionOptions,
  force: boolean,
): Promise<{ entries: AsyncIterable<ManifestEntry>; force: boolean }> {
  const iterator = options.manifest.entries(options.abortSignal)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    const adopted = new IndexDerivedManifest({
      index: options.index,
      sourceName: options.sourceName,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
    });
    return { entries: adopted.entries(), force };
  }
  const entries = (async function* () {
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  const probe = first.value.chunkIds[0];
  if (force || probe === undefined) return { entries, force };
  const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
  if ((await options.index.listIds(probe, namespace)).includes(probe)) return { entries, force };
  options.log?.(
    `The index does not hold the chunks the manifest lists for source '${options.sourceName}' ` +
      `(it was emptied or replaced): every document is embedded again.`,
  );
  return { entries, force: true };
}

/** One run's settings, counters and checkpoint writer. */
class IngestionRun {
  readonly tally = new IngestTally();
  readonly checkpointDocuments: number;
  private readonly checkpointBytes: number;
  private readonly writer: CheckpointWriter;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly options: IngestionOptions) {
    this.checkpointDocuments = Math.max(1, options.checkpointDocuments ?? 200);
    this.checkpointBytes = Math.max(1, options.checkpointBytes ?? 32 * 1024 * 1024);
    this.writer = new CheckpointWriter(options, options.manifest, this.tally, options.abortSignal);
    this.limit = pLimit(Math.max(1, options.readConcurrency ?? 8));
  }

  /** Decides the documents a checkpoint at a time and writes each checkpoint before the next. */
  async decideAll(
    states: AsyncIterable<DocumentState>,
    mode: { readonly force: boolean; readonly removalsOnly?: boolean },
  ): Promise<void> {
    const context: DecisionContext = {
      source: this.options.source,
      sourceName: this.options.sourceName,
      maxDocumentBytes: this.options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      force: mode.force,
      ...(this.options.chunking && { chunking: this.options.chunking }),
      ...(this.options.abortSignal && { abortSignal: this.options.abortSignal }),
    };
    let group: DocumentState[] = [];
    let bytes = 0;
    for await (const state of states) {
      this.options.abortSignal?.throwIfAborted();
      group.push(state);
      if (state.listed && state.listed.version !== state.previous?.version) bytes += state.listed.size;
      if (group.length >= this.checkpointDocuments || bytes >= this.checkpointBytes) {
        await this.checkpoint(group, context, mode.removalsOnly ?? false);
        group = [];
        bytes = 0;
      }
    }
    if (group.length > 0) await this.checkpoint(group, context, mode.removalsOnly ?? false);
  }

  private async checkpoint(
    group: readonly DocumentState[],
    context: DecisionContext,
    removalsOnly: boolean,
  ): Promise<void> {
    const decisions = await Promise.all(
      group.map((state) => (removalsOnly ? removalOnly(state) : this.limit(() => decide(state, context)))),
    );
    await this.writer.write(decisions.filter((decision) => decision !== undefined));
    if (!removalsOnly) this.tally.add('seen', group.filter((state) => state.listed).length);
    this.options.onProgress?.({
      documents: this.tally.get('seen') + this.tally.get('deleted'),
      chunksWritten: this.tally.get('chunksWritten'),
    });
  }
}

/** For pruning: documents still listed are kept as they are; documents not yet indexed are left to the map. */
async function removalOnly(state: DocumentState): Promise<Decision | undefined> {
  if (!state.previous) return undefined;
  if (state.listed) return { kind: 'keep', path: state.path, entry: state.previous, touched: false };
  return { kind: 'remove', path: state.path, stale: state.previous.chunkIds, known: true };
}

/** The listing and the manifest merged by path, both in path order: each document once. */
async function* alongside(
  listing: AsyncIterable<SourceEntry>,
  manifest: AsyncIterable<ManifestEntry>,
): AsyncGenerator<DocumentState> {
  const listed = listing[Symbol.asyncIterator]();
  const recorded = manifest[Symbol.asyncIterator]();
  let a = await listed.next();
  let b = await recorded.next();
  while (!a.done || !b.done) {
    const order = a.done ? 1 : b.done ? -1 : comparePaths(a.value.path, b.value.path);
    if (order < 0 && !a.done) {
      yield { path: a.value.path, listed: a.value };
      a = await listed.next();
    } else if (order > 0 && !b.done) {
      yield { path: b.value.path, previous: b.value };
      b = await recorded.next();
    } else if (!a.done && !b.done) {
      yield { path: a.value.path, listed: a.value, previous: b.value };
      a = await listed.next();
      b = await recorded.next();
    }
  }
}
