import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import pLimit from 'p-limit';
import type { Embedder } from '../core/ports/embedder.js';
import type { Chunk } from '../core/ports/types.js';
import type { IndexedChunk, VectorIndex } from '../core/ports/vector-index.js';
import { chunkDocument, formatOf } from './chunker.js';
import type { ChunkingOptions } from './chunker.js';

export interface IngestFolderOptions {
  readonly dir: string;
  /** Names the folder's chunks; ids start with `<source>:`, so sources never touch each other. */
  readonly source: string;
  readonly embedder: Embedder;
  readonly index: VectorIndex;
  readonly namespace?: string;
  /** Chunks per embedding call and per upsert. @default 64 */
  readonly batchSize?: number;
  /** Embedding batches in flight at once; remote embedders are latency-bound. @default 4 */
  readonly concurrency?: number;
  readonly chunking?: ChunkingOptions;
  readonly onProgress?: (progress: IngestProgress) => void;
  readonly abortSignal?: AbortSignal;
}

export type IngestPhase = 'scan' | 'chunk' | 'embed' | 'delete';

export interface IngestProgress {
  readonly phase: IngestPhase;
  readonly done: number;
  readonly total: number;
}

export interface SkippedFile {
  /** Relative to the ingested folder, with `/` separators. */
  readonly path: string;
  readonly reason: string;
}

export interface IngestSummary {
  /** Files that produced chunks. */
  readonly files: number;
  readonly chunks: number;
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly skipped: readonly SkippedFile[];
  readonly seconds: number;
}

export class IngestDirectoryNotFoundError extends Error {
  constructor(readonly dir: string) {
    super(`The directory '${dir}' does not exist or is not a directory.`);
    this.name = new.target.name;
  }
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

export class EmbeddingCountMismatchError extends Error {
  constructor(expected: number, actual: number) {
    super(`The embedder returned ${actual} vectors for ${expected} texts.`);
    this.name = new.target.name;
  }
}

/** Pinecone accepts at most 1,000 ids per delete request. */
const DELETE_BATCH = 1000;

/**
 * Brings the index in line with a folder, touching only this source's chunks: chunk
 * ids are content-addressed, so unchanged chunks are neither re-embedded nor
 * rewritten, and the chunks of edited or deleted files are removed. Running it twice
 * on an unchanged folder adds and removes nothing. It uses only the ports, so the same
 * code ingests into the local index or into Pinecone with Bedrock embeddings.
 *
 * New chunks are added before stale ones are removed, so a reader never sees an edited
 * file with no chunks at all.
 */
export async function ingestFolder(options: IngestFolderOptions): Promise<IngestSummary> {
  const started = performance.now();
  const { dir, source, index, namespace, abortSignal } = options;
  const report = options.onProgress ?? (() => undefined);
  const namespaceOption = namespace === undefined ? {} : { namespace };
  assertValidSource(source);
  await assertDirectory(dir);

  report({ phase: 'scan', done: 0, total: 0 });
  const paths = await findDocuments(dir, abortSignal);
  report({ phase: 'scan', done: paths.length, total: paths.length });

  const desired = new Map<string, Chunk>();
  const skipped: SkippedFile[] = [];
  let files = 0;
  for (const [done, path] of paths.entries()) {
    abortSignal?.throwIfAborted();
    const outcome = await readDocument(dir, path);
    if ('reason' in outcome) {
      skipped.push(outcome);
    } else {
      const chunks = chunkDocument(
        { source, relativePath: path, content: outcome.content },
        options.chunking,
      );
      if (chunks.length === 0) skipped.push({ path, reason: 'no text to index' });
      else files++;
      for (const chunk of chunks) desired.set(chunk.id, chunk);
    }
    report({ phase: 'chunk', done: done + 1, total: paths.length });
  }

  const existing = new Set(await index.listIds(`${source}:`, namespaceOption));
  const toAdd = [...desired.values()].filter((chunk) => !existing.has(chunk.id));
  const toRemove = [...existing].filter((id) => !desired.has(id));

  await embedAndUpsert(toAdd, options, (done) => report({ phase: 'embed', done, total: toAdd.length }));
  for (let start = 0; start < toRemove.length; start += DELETE_BATCH) {
    abortSignal?.throwIfAborted();
    await index.delete(toRemove.slice(start, start + DELETE_BATCH), namespaceOption);
    report({
      phase: 'delete',
      done: Math.min(start + DELETE_BATCH, toRemove.length),
      total: toRemove.length,
    });
  }

  return {
    files,
    chunks: desired.size,
    added: toAdd.length,
    removed: toRemove.length,
    unchanged: desired.size - toAdd.length,
    skipped,
    seconds: (performance.now() - started) / 1000,
  };
}

async function embedAndUpsert(
  chunks: readonly Chunk[],
  options: IngestFolderOptions,
  onDone: (done: number) => void,
): Promise<void> {
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const batches: Chunk[][] = [];
  for (let start = 0; start < chunks.length; start += batchSize)
    batches.push(chunks.slice(start, start + batchSize));

  let done = 0;
  let failed = false;
  const outcomes = await Promise.allSettled(
    batches.map((batch) =>
      limit(async () => {
        // After a failure the queued batches stand down, and the ones in flight finish,
        // so that nothing keeps writing to the index once ingestFolder has returned.
        if (failed) return;
        try {
          options.abortSignal?.throwIfAborted();
          await embedAndUpsertBatch(batch, options);
        } catch (error) {
          failed = true;
          throw error;
        }
        done += batch.length;
        onDone(done);
      }),
    ),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

async function embedAndUpsertBatch(batch: readonly Chunk[], options: IngestFolderOptions): Promise<void> {
  const { vectors } = await options.embedder.embed({
    // The heading path gives the vector the same context BM25 gets from the title field.
    texts: batch.map((chunk) => `${chunk.title}\n\n${chunk.text}`),
    purpose: 'document',
    ...(options.abortSignal && { abortSignal: options.abortSignal }),
  });
  if (vectors.length !== batch.length) throw new EmbeddingCountMismatchError(batch.length, vectors.length);
  const indexed: IndexedChunk[] = batch.map((chunk, i) => ({
    ...chunk,
    vector: vectors[i] as readonly number[],
  }));
  await options.index.upsert(
    indexed,
    options.namespace === undefined ? {} : { namespace: options.namespace },
  );
}

function assertValidSource(source: string): void {
  if (source.length === 0 || source.length > 100 || /[:/\\#\p{Cc}]/u.test(source))
    throw new InvalidSourceNameError(source);
}

async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new IngestDirectoryNotFoundError(dir);
}

/**
 * Document files under `dir`, as sorted `/`-separated relative paths. Hidden entries
 * and node_modules are skipped; symbolic links are not followed, so a link cycle
 * cannot make the walk endless.
 */
async function findDocuments(dir: string, abortSignal: AbortSignal | undefined): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    abortSignal?.throwIfAborted();
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && formatOf(entry.name)) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  await walk(dir);
  return found.sort();
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text, or why it cannot be ingested: unreadable, binary, not UTF-8 or empty. */
async function readDocument(dir: string, path: string): Promise<{ content: string } | SkippedFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, ...path.split('/')));
  } catch (error) {
    return { path, reason: `unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (bytes.subarray(0, 8192).includes(0)) return { path, reason: 'binary content' };
  let content: string;
  try {
    content = UTF8.decode(bytes);
  } catch {
    return { path, reason: 'not valid UTF-8' };
  }
  if (content.trim() === '') return { path, reason: 'empty' };
  return { content };
}
