import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { MetadataValue } from '../../../core/ports/types.js';
import type { IndexedChunk } from '../../../core/ports/vector-index.js';
import { CorruptIndexFileError } from './errors.js';

/**
 * The index file of earlier versions (`index.json`): valid JSON laid out one chunk per line, with
 * every chunk's text. Only read, to carry an existing index over into the current format.
 */

const FILE_FORMAT = 'rag-serving-local-index';
const FILE_VERSION = 1;

/** One line of the file. */
interface ChunkRecord {
  readonly namespace: string;
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly location: string;
  readonly metadata: Record<string, MetadataValue>;
  /** Little-endian float32 values, base64. */
  readonly vector: string;
}

function fromRecord(record: ChunkRecord): IndexedChunk {
  const bytes = Buffer.from(record.vector, 'base64');
  // Copy into a fresh buffer: the decoded bytes may sit at an offset that is not float-aligned.
  const vector = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(vector.buffer).set(bytes);
  return {
    id: record.id,
    text: record.text,
    title: record.title,
    location: record.location,
    metadata: record.metadata,
    vector: Array.from(vector),
  };
}

/** Streams the chunks of the file at `path` to `onChunk`; false when there is no such file. */
export async function readLegacyIndexFile(
  path: string,
  onChunk: (namespace: string, chunk: IndexedChunk) => void,
): Promise<boolean> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return false;
  const lines = createInterface({
    input: createReadStream('', { fd: handle.fd, autoClose: false }),
    crlfDelay: Infinity,
  });
  let lineNumber = 0;
  let ended = false;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (lineNumber === 1) {
        checkHeader(path, line);
      } else if (line === ']}') {
        ended = true;
      } else if (line !== '' && !ended) {
        const record = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as ChunkRecord;
        onChunk(record.namespace, fromRecord(record));
      }
    }
  } catch (error) {
    if (error instanceof CorruptIndexFileError) throw error;
    throw new CorruptIndexFileError(path, `line ${lineNumber} is not a chunk record`, { cause: error });
  } finally {
    lines.close();
    await handle.close();
  }
  if (lineNumber > 0 && !ended) throw new CorruptIndexFileError(path, 'it ends early');
  return true;
}

function checkHeader(path: string, line: string): void {
  let header: { format?: unknown; version?: unknown };
  try {
    header = JSON.parse(`${line}]}`) as { format?: unknown; version?: unknown };
  } catch (error) {
    throw new CorruptIndexFileError(path, 'it does not start with an index header', { cause: error });
  }
  if (header.format !== FILE_FORMAT || header.version !== FILE_VERSION) {
    throw new CorruptIndexFileError(
      path,
      `unknown format ${String(header.format)} version ${String(header.version)}`,
    );
  }
}
