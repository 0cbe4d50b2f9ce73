import { join } from 'node:path';

/**
 * Where the local manifest of one source and namespace lives: beside the local index under the
 * data directory (DESIGN 9), so that deleting `.rag/` resets both.
 */
export function localManifestPath(dataDir: string, sourceName: string, namespace?: string): string {
  const partition =
    namespace === undefined || namespace === '' ? 'default' : `ns-${encodeURIComponent(namespace)}`;
  return join(dataDir, 'manifests', partition, `${sourceName}.jsonl`);
}
