import MiniSearch from 'minisearch';
import { tokenize } from '../tokenizer.js';
import type { StoredChunk } from './stored-chunk.js';

/** What a namespace holds: its chunks and their BM25 index. Namespaces share nothing, not even IDF. */
export interface Shard {
  readonly chunks: Map<string, StoredChunk>;
  readonly lexical: MiniSearch<LexicalDocument>;
}

interface LexicalDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

/** The shard of `namespace` in `shards`, created empty when there is none yet. */
export function shardIn(shards: Map<string, Shard>, namespace: string): Shard {
  let shard = shards.get(namespace);
  if (!shard) {
    shard = { chunks: new Map(), lexical: newLexicalIndex() };
    shards.set(namespace, shard);
  }
  return shard;
}

function newLexicalIndex(): MiniSearch<LexicalDocument> {
  return new MiniSearch<LexicalDocument>({
    fields: ['title', 'text'],
    tokenize: (text) => tokenize(text),
    // The tokenizer already lowercases, splits identifiers and drops stopwords.
    processTerm: (term) => term,
  });
}

/** Adds a chunk to the shard's map and BM25 index, replacing one with the same id. */
export function putChunk(shard: Shard, chunk: StoredChunk): void {
  removeChunk(shard, chunk.id);
  shard.chunks.set(chunk.id, chunk);
  shard.lexical.add({ id: chunk.id, title: chunk.title, text: chunk.text });
}

/** Removes a chunk from the shard's map and BM25 index; an unknown id is no error. */
export function removeChunk(shard: Shard, id: string): void {
  const existing = shard.chunks.get(id);
  if (!existing) return;
  // remove() with the indexed fields is exact and synchronous, unlike discard()'s background vacuum.
  shard.lexical.remove({ id, title: existing.title, text: existing.text });
  shard.chunks.delete(id);
}
