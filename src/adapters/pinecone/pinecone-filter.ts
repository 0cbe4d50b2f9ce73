import type { MetadataFilter } from '../../core/ports/types.js';

/** Our metadata filter is equality on each key; Pinecone spells that `{"key": {"$eq": value}}` (keys AND-ed). */
export function toPineconeFilter(
  filter: MetadataFilter | undefined,
): Record<string, { $eq: unknown }> | undefined {
  if (filter === undefined || Object.keys(filter).length === 0) return undefined;
  return Object.fromEntries(Object.entries(filter).map(([key, value]) => [key, { $eq: value }]));
}
