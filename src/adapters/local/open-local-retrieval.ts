import { join } from 'node:path';
import type { Embedder } from '../../core/ports/embedder.js';
import { HashedEmbedder } from './hashed-embedder.js';
import type { HashedEmbedderOptions } from './hashed-embedder.js';
import { LocalVectorIndex } from './local-index.js';
import type { LocalVectorIndexOptions } from './local-index.js';

export interface LocalRetrievalOptions extends LocalVectorIndexOptions, HashedEmbedderOptions {}

export interface LocalRetrieval {
  readonly embedder: Embedder;
  readonly index: LocalVectorIndex;
}

/** Where the local index lives inside a data directory (DESIGN 9: all local state under `.rag/`). */
export function localIndexPath(dataDir: string): string {
  return join(dataDir, 'index.json');
}

/**
 * The local embedder and index, built one way for the server and the ingest CLI so
 * that both embed alike and read and write the same file.
 */
export async function openLocalRetrieval(
  dataDir: string,
  options: LocalRetrievalOptions = {},
): Promise<LocalRetrieval> {
  const embedder = new HashedEmbedder(
    options.dimensions === undefined ? {} : { dimensions: options.dimensions },
  );
  const index = await LocalVectorIndex.open(localIndexPath(dataDir), options);
  return { embedder, index };
}
