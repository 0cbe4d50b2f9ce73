import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Embedder } from '../../core/ports/embedder.js';
import type { EmbedderConfig } from '../../config/backends-config.js';
import { ConfigurationError } from '../../config/configuration-error.js';
import { loadServingConfig } from '../../config/serving-config.js';
import { EnvVar } from '../../shared/env.js';
import type { IndexedChunk } from '../../core/ports/vector-index.js';
import { HashedEmbedder } from './hashed-embedder.js';
import type { HashedEmbedderOptions } from './hashed-embedder.js';
import { LocalVectorIndex } from './local-index.js';
import type { LocalVectorIndexOptions } from './local-index.js';
import { readLegacyIndexFile } from './local-index/legacy-index-file.js';
import { stampOf } from './local-index/file-stamp.js';

export interface LocalRetrievalOptions extends LocalVectorIndexOptions, HashedEmbedderOptions {
  /**
   * Which embedder writes and queries the index's vectors. @default the one RAG_EMBEDDER names
   * (local or openai-compatible), so the server and the ingest CLI always embed alike.
   */
  readonly embedder?: EmbedderConfig;
}

/**
 * Weight of dense model vectors (RAG_EMBEDDER=openai-compatible) in the fused ranking. Not chosen by
 * a measurement yet: no embedding model is reachable where the benchmarks run, and the hashed
 * vectors' weight (0) says nothing about a real model's. Half and half is the neutral start.
 */
export const DENSE_VECTOR_WEIGHT = 0.5;

export interface LocalRetrieval {
  readonly embedder: Embedder;
  readonly index: LocalVectorIndex;
}

/** Where the local index lives inside a data directory (DESIGN 9: all local state under `.rag/`). */
export function localIndexPath(dataDir: string): string {
  return join(dataDir, 'index.bin');
}

/** The index file of earlier versions, carried over into the current format on first open. */
function legacyIndexPath(dataDir: string): string {
  return join(dataDir, 'index.json');
}

/**
 * Moves an index written by an earlier version (`index.json`, every text in memory) into the
 * current file, once: the chunks keep their ids and vectors, and the old file is removed.
 */
async function migrateLegacyIndex(dataDir: string, index: LocalVectorIndex): Promise<void> {
  const legacy = legacyIndexPath(dataDir);
  if ((await stampOf(index.path)) !== null || (await stampOf(legacy)) === null) return;
  const byNamespace = new Map<string, IndexedChunk[]>();
  await readLegacyIndexFile(legacy, (namespace, chunk) => {
    const chunks = byNamespace.get(namespace) ?? [];
    chunks.push(chunk);
    byNamespace.set(namespace, chunks);
  });
  await index.batch(async () => {
    for (const [namespace, chunks] of byNamespace) await index.upsert(chunks, { namespace });
  });
  await unlink(legacy);
}

/**
 * The local embedder and index, built one way for the server and the ingest CLI so
 * that both embed alike and read and write the same file.
 */
export async function openLocalRetrieval(
  dataDir: string,
  options: LocalRetrievalOptions = {},
): Promise<LocalRetrieval> {
  const embedderConfig = options.embedder ?? loadServingConfig(process.env).backends.embedder;
  let embedder: Embedder;
  let indexOptions: LocalVectorIndexOptions = options;
  if (embedderConfig.kind === 'openai-compatible') {
    const { OpenAICompatibleEmbedder } = await import('../openai-compatible/openai-compatible-embedder.js');
    embedder = new OpenAICompatibleEmbedder(embedderConfig);
    indexOptions = { vectorWeight: DENSE_VECTOR_WEIGHT, ...options };
  } else if (embedderConfig.kind === 'local') {
    embedder = new HashedEmbedder(options.dimensions === undefined ? {} : { dimensions: options.dimensions });
  } else {
    // The local index holds the vectors of an embedder that runs here; Bedrock's belong in Pinecone.
    throw new ConfigurationError(
      `${EnvVar.embedder}=${embedderConfig.kind} needs ${EnvVar.index}=pinecone: the local index stores the vectors of the local or an openai-compatible embedder.`,
    );
  }
  const index = await LocalVectorIndex.open(localIndexPath(dataDir), indexOptions);
  await migrateLegacyIndex(dataDir, index);
  return { embedder, index };
}
