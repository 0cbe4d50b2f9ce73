import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MetadataValue } from '../../../core/ports/types.js';
import { normOf } from '../vector-norm.js';
import { CorruptIndexFileError } from './errors.js';
import type { FileStamp } from './file-stamp.js';
import type { StoredChunk } from './stored-chunk.js';

/**
 * The index file: valid JSON, laid out one chunk per line so that it can be written
 * and read as a stream. One JSON.stringify of 100k chunks would pass V8's string limit.
 */

const FILE_FORMAT = 'rag-serving-local-index';
const FILE_VERSION = 1;
const WRITE_BUFFER_BYTES = 1 << 20;

/** One line of the index file. */
interface ChunkRecord {
  readonly namespace: string;
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly location: string;
  readonly metadata: Record<string, MetadataValue>;
  /** Little-endian float32 values, base64: a quarter of the size of a JSON number array. */
  readonly vector: string;
}

function toRecord(namespace: string, chunk: StoredChunk): ChunkRecord {
  const bytes = Buffer.from(chunk.vector.buffer, chunk.vector.byteOffset, chunk.vector.byteLength);
  return {
    namespace,
    id: chunk.id,
    title: chunk.title,
    text: chunk.text,
    location: chunk.location,
    metadata: { ...chunk.metadata },
    vector: bytes.toString('base64'),
  };
}

function fromRecord(record: ChunkRecord): StoredChunk {
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
    vector,
    norm: normOf(vector),
  };
}

function headerLine(): string {
  return `{"format":"${FILE_FORMAT}","version":${FILE_VERSION},"chunks":[`;
}

/**
 * Writes the chunks, by namespace, to a temporary file beside `path`, then renames it over
 * `path`: a reader sees the old file or the new one, never half of one.
 */
export async function writeIndexFile(
  path: string,
  chunks: Iterable<readonly [namespace: string, chunk: StoredChunk]>,
): Promise<FileStamp> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'w');
  try {
    let buffered = `${headerLine()}\n`;
    let first = true;
    for (const [namespace, chunk] of chunks) {
      buffered += `${first ? '' : ',\n'}${JSON.stringify(toRecord(namespace, chunk))}`;
      first = false;
      if (buffered.length >= WRITE_BUFFER_BYTES) {
        await handle.write(buffered);
        buffered = '';
      }
    }
    await handle.write(`${buffered}${first ? '' : '\n'}]}\n`);
    await handle.sync();
    // rename keeps the inode, size and mtime, so this is the stamp readers will see.
    const { mtimeMs, size, ino } = await handle.stat();
    await handle.close();
    await rename(temporary, path);
    return { mtimeMs, size, ino };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Streams the chunks of the file at `path` to `onChunk`; returns its stamp, or null when it does not exist. */
export async function readIndexFile(
  path: string,
  onChunk: (namespace: string, chunk: StoredChunk) => void,
): Promise<FileStamp | null> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return null;
  const { mtimeMs, size, ino } = await handle.stat();
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
  if (lineNumber === 0 && size === 0) return { mtimeMs, size, ino };
  if (!ended) throw new CorruptIndexFileError(path, 'it ends early');
  return { mtimeMs, size, ino };
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
