import { createHash } from 'node:crypto';
import type { Chunk } from '../core/ports/types.js';
import { chunkDocument, type ChunkingOptions } from './chunker.js';
import { DocumentGoneError, type DocumentSource, type SourceEntry } from './documents/document-source.js';
import { UnreadableDocumentError, extractText } from './documents/extract-text.js';
import type { ManifestEntry } from './manifest/document-manifest.js';

/** One document as a run meets it: in the source (listed), in the manifest (previous), or both. */
export interface DocumentState {
  readonly path: string;
  readonly listed?: SourceEntry;
  readonly previous?: ManifestEntry;
}

/** What to do with one document; writes happen later, a checkpoint at a time. */
export type Decision =
  /** Nothing changed. `touched`: same content under a new version, recorded without any write. */
  | { readonly kind: 'keep'; readonly path: string; readonly entry: ManifestEntry; readonly touched: boolean }
  /** New or changed content: embed and write `chunks`, then remove `stale`. */
  | {
      readonly kind: 'write';
      readonly path: string;
      readonly entry: ManifestEntry;
      readonly chunks: readonly Chunk[];
      readonly stale: readonly string[];
      readonly status: 'added' | 'updated';
    }
  /** Remove the document's chunks: it is gone, or now skipped (with `reason`). */
  | {
      readonly kind: 'remove';
      readonly path: string;
      readonly stale: readonly string[];
      /** The manifest had an entry for it, which must go too. */
      readonly known: boolean;
      readonly reason?: string;
    }
  /** Cannot be read: left as it was (previous chunks stay) and retried by the next run. */
  | {
      readonly kind: 'fail';
      readonly path: string;
      readonly previous?: ManifestEntry;
      readonly reason: string;
    };

export interface DecisionContext {
  readonly source: DocumentSource;
  readonly sourceName: string;
  readonly maxDocumentBytes: number;
  /** Re-embed every document, e.g. after the index lost its vectors. */
  readonly force: boolean;
  readonly chunking?: ChunkingOptions;
  readonly abortSignal?: AbortSignal;
}

/**
 * Decides one document. An unchanged version costs nothing; otherwise the document is read and
 * hashed, and only new content is chunked. Chunk ids are content-addressed, so of an edited
 * document only the chunks that changed are embedded and only those that disappeared are removed.
 */
export async function decide(state: DocumentState, context: DecisionContext): Promise<Decision> {
  const { path, listed, previous } = state;
  const stale = previous?.chunkIds ?? [];
  const known = previous !== undefined;
  if (!listed) return { kind: 'remove', path, stale, known };
  if (!context.force && previous && previous.version !== '' && previous.version === listed.version) {
    return { kind: 'keep', path, entry: previous, touched: false };
  }
  if (listed.size > context.maxDocumentBytes) {
    return {
      kind: 'remove',
      path,
      stale,
      known,
      reason: `over the size limit (${listed.size} bytes; the limit is ${context.maxDocumentBytes})`,
    };
  }

  let bytes: Uint8Array;
  try {
    bytes = await context.source.read(path, context.abortSignal);
  } catch (error) {
    if (error instanceof DocumentGoneError) return { kind: 'remove', path, stale, known };
    context.abortSignal?.throwIfAborted();
    return { kind: 'fail', path, ...(previous && { previous }), reason: `unreadable (${describe(error)})` };
  }
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  if (!context.force && previous && previous.contentHash === contentHash) {
    return { kind: 'keep', path, entry: { ...previous, version: listed.version }, touched: true };
  }

  let text: string;
  try {
    text = await extractText(path, bytes);
  } catch (error) {
    if (error instanceof UnreadableDocumentError && error.reason === 'empty')
      return { kind: 'remove', path, stale, known, reason: 'empty' };
    return { kind: 'fail', path, ...(previous && { previous }), reason: describe(error) };
  }
  const chunks = chunkDocument(
    { source: context.sourceName, relativePath: path, content: text },
    context.chunking,
  );
  if (chunks.length === 0) return { kind: 'remove', path, stale, known, reason: 'no text to index' };

  const kept = new Set(context.force ? [] : stale);
  const ids = new Set(chunks.map((chunk) => chunk.id));
  const entry = { path, contentHash, version: listed.version, chunkIds: [...ids] };
  const toWrite = chunks.filter((chunk) => !kept.has(chunk.id));
  const toRemove = stale.filter((id) => !ids.has(id));
  // Same chunks as before (an edit that changed no chunk, or chunks adopted from the index).
  if (previous && toWrite.length === 0 && toRemove.length === 0)
    return { kind: 'keep', path, entry, touched: true };
  return {
    kind: 'write',
    path,
    entry,
    chunks: toWrite,
    stale: toRemove,
    status: previous ? 'updated' : 'added',
  };
}

function describe(error: unknown): string {
  if (error instanceof UnreadableDocumentError) return error.reason;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : String(error);
}
