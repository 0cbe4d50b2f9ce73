import type { MetadataValue, RetrievedChunk } from '../../core/ports/types.js';
import type { IndexedChunk } from '../../core/ports/vector-index.js';

/**
 * Chunk fields stored as Pinecone metadata beside the chunk's own metadata. Named so they cannot
 * be mistaken for the filterable fields (`source`, `path`, `doc_title`).
 */
export const PineconeMetadataKey = {
  text: 'chunk_text',
  title: 'chunk_title',
  location: 'chunk_location',
} as const;

export type PineconeMetadata = Record<string, MetadataValue>;

/** A chunk as the record ingestion upserts. */
export function toPineconeRecord(chunk: IndexedChunk) {
  return {
    id: chunk.id,
    values: [...chunk.vector],
    metadata: {
      ...chunk.metadata,
      [PineconeMetadataKey.text]: chunk.text,
      [PineconeMetadataKey.title]: chunk.title,
      [PineconeMetadataKey.location]: chunk.location,
    },
  };
}

/** A query match rebuilt as the chunk it was made from. */
export function toRetrievedChunk(match: {
  id: string;
  score?: number;
  metadata?: PineconeMetadata;
}): RetrievedChunk {
  const {
    [PineconeMetadataKey.text]: text,
    [PineconeMetadataKey.title]: title,
    [PineconeMetadataKey.location]: location,
    ...metadata
  } = match.metadata ?? {};
  return {
    id: match.id,
    score: match.score ?? 0,
    text: String(text ?? ''),
    title: String(title ?? ''),
    location: String(location ?? ''),
    metadata,
  };
}
