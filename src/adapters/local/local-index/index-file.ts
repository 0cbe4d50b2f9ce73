import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MetadataValue } from '../../../core/ports/types.js';
import { CorruptIndexFileError } from './errors.js';
import type { FileStamp } from './file-stamp.js';
import { IndexFileVersion, type Passage, type Segment, type SegmentContent } from './segment.js';

/**
 * The index file (version 2): binary sections per namespace (field lengths, BM25 postings, vector
 * norms, vectors, each chunk's title-and-text record), then a JSON header naming where each
 * section lies, then a fixed trailer. A reader loads the postings and the header and leaves the
 * records and vectors in the file. Numbers are little-endian. Written to a temporary file that is
 * renamed over the old one, so a reader sees the old index or the new one, never half of one.
 */

const MAGIC = Buffer.from('RAGIDX02', 'latin1');
const FORMAT = 'rag-serving-local-index';
const VERSION = 2;
/** Header offset (float64), header length (uint32), 4 bytes of padding, the magic. */
const TRAILER_BYTES = 24;
const ALIGNMENT = 8;
const WRITE_BUFFER_BYTES = 1 << 20;

/** Everything needed to write one namespace: arrays in memory, records and vectors as streams. */
export interface NamespaceDraft extends SegmentContent {
  readonly name: string;
  /** Vectors of the chunks in order, any number of rows at a time. */
  readonly vectorRows: () => AsyncIterable<Float32Array>;
  /** Title-and-text records of the chunks in order. */
  readonly passages: () => AsyncIterable<Buffer>;
}

type Section = readonly [offset: number, bytes: number];
type SectionName =
  | 'textLength'
  | 'titleLength'
  | 'postingStart'
  | 'postingDoc'
  | 'postingText'
  | 'postingTitle'
  | 'norms'
  | 'vectors'
  | 'passageOffsets';

interface NamespaceHeader {
  readonly name: string;
  readonly count: number;
  readonly totalTextLength: number;
  readonly totalTitleLength: number;
  readonly terms: readonly string[];
  /** [id, location, metadata] per chunk. */
  readonly chunks: readonly (readonly [string, string, Record<string, MetadataValue>])[];
  readonly sections: Readonly<Record<SectionName, Section>>;
}

interface FileHeader {
  readonly format: string;
  readonly version: number;
  readonly dimensions: number | null;
  readonly namespaces: readonly NamespaceHeader[];
}

/** Appends to a file through a buffer and knows its position, so sections can be aligned. */
class SequentialWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  position = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.buffered.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.bufferedBytes += bytes.byteLength;
    this.position += bytes.byteLength;
    if (this.bufferedBytes >= WRITE_BUFFER_BYTES) await this.flush();
  }

  async align(): Promise<void> {
    const padding = (ALIGNMENT - (this.position % ALIGNMENT)) % ALIGNMENT;
    if (padding > 0) await this.write(new Uint8Array(padding));
  }

  /** Writes a typed array as one aligned section. */
  async section(array: ArrayBufferView): Promise<Section> {
    await this.align();
    const offset = this.position;
    await this.write(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return [offset, array.byteLength];
  }

  async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    await this.handle.write(Buffer.concat(this.buffered, this.bufferedBytes));
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}

async function writeNamespace(writer: SequentialWriter, draft: NamespaceDraft): Promise<NamespaceHeader> {
  const textLength = await writer.section(draft.textLength);
  const titleLength = await writer.section(draft.titleLength);
  const postingStart = await writer.section(draft.postingStart);
  const postingDoc = await writer.section(draft.postingDoc);
  const postingText = await writer.section(draft.postingText);
  const postingTitle = await writer.section(draft.postingTitle);
  const norms = await writer.section(draft.norms);
  await writer.align();
  const vectorsOffset = writer.position;
  for await (const rows of draft.vectorRows())
    await writer.write(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  const vectors: Section = [vectorsOffset, writer.position - vectorsOffset];
  const offsets = new Float64Array(draft.count + 1);
  let doc = 0;
  for await (const record of draft.passages()) {
    offsets[doc++] = writer.position;
    await writer.write(record);
  }
  offsets[doc] = writer.position;
  if (doc !== draft.count)
    throw new Error(`namespace '${draft.name}': ${doc} records for ${draft.count} chunks`);
  const passageOffsets = await writer.section(offsets);
  let totalTextLength = 0;
  let totalTitleLength = 0;
  for (let i = 0; i < draft.count; i++) {
    totalTextLength += draft.textLength[i] as number;
    totalTitleLength += draft.titleLength[i] as number;
  }
  return {
    name: draft.name,
    count: draft.count,
    totalTextLength,
    totalTitleLength,
    terms: draft.termList,
    chunks: draft.ids.map((id, i) => [id, draft.locations[i] as string, { ...draft.metadata[i] }] as const),
    sections: {
      textLength,
      titleLength,
      postingStart,
      postingDoc,
      postingText,
      postingTitle,
      norms,
      vectors,
      passageOffsets,
    },
  };
}

/** Writes the namespaces to a temporary file beside `path` and renames it over `path`. */
export async function writeIndexFile(
  path: string,
  dimensions: number | undefined,
  namespaces: readonly NamespaceDraft[],
): Promise<FileStamp> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'w');
  try {
    const writer = new SequentialWriter(handle);
    await writer.write(MAGIC);
    const headers: NamespaceHeader[] = [];
    for (const draft of namespaces) headers.push(await writeNamespace(writer, draft));
    const header: FileHeader = {
      format: FORMAT,
      version: VERSION,
      dimensions: dimensions ?? null,
      namespaces: headers,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const headerOffset = writer.position;
    await writer.write(headerBytes);
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeDoubleLE(headerOffset, 0);
    trailer.writeUInt32LE(headerBytes.byteLength, 8);
    MAGIC.copy(trailer, 16);
    await writer.write(trailer);
    await writer.flush();
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

async function readExactly(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new Error(`the file ends at byte ${position + done}`);
    done += bytesRead;
  }
}

/** Reads a section into a fresh, aligned array. */
async function readSection<T>(
  handle: FileHandle,
  [offset, bytes]: Section,
  make: (buffer: ArrayBuffer) => T,
): Promise<T> {
  const buffer = new ArrayBuffer(bytes);
  await readExactly(handle, new Uint8Array(buffer), offset);
  return make(buffer);
}

async function readSegment(
  handle: FileHandle,
  header: NamespaceHeader,
  dimensions: number | undefined,
): Promise<Segment> {
  const { sections } = header;
  const u32 = (section: Section) => readSection(handle, section, (b) => new Uint32Array(b));
  const u16 = (section: Section) => readSection(handle, section, (b) => new Uint16Array(b));
  const [
    textLength,
    titleLength,
    postingStart,
    postingDoc,
    postingText,
    postingTitle,
    norms,
    passageOffsets,
  ] = await Promise.all([
    u32(sections.textLength),
    u32(sections.titleLength),
    u32(sections.postingStart),
    u32(sections.postingDoc),
    u16(sections.postingText),
    u16(sections.postingTitle),
    readSection(handle, sections.norms, (b) => new Float32Array(b)),
    readSection(handle, sections.passageOffsets, (b) => new Float64Array(b)),
  ]);
  const ids = header.chunks.map((chunk) => chunk[0]);
  let vectors: Promise<Float32Array> | undefined;
  const passageBytes = async (doc: number): Promise<Buffer> => {
    const from = passageOffsets[doc] as number;
    const bytes = Buffer.alloc((passageOffsets[doc + 1] as number) - from);
    await readExactly(handle, bytes, from);
    return bytes;
  };
  return {
    count: header.count,
    ids,
    locations: header.chunks.map((chunk) => chunk[1]),
    metadata: header.chunks.map((chunk) => chunk[2]),
    docNumbers: new Map(ids.map((id, doc) => [id, doc])),
    textLength,
    titleLength,
    totalTextLength: header.totalTextLength,
    totalTitleLength: header.totalTitleLength,
    terms: new Map(header.terms.map((term, i) => [term, i])),
    termList: header.terms,
    postingStart,
    postingDoc,
    postingText,
    postingTitle,
    norms,
    vectors: () => {
      if (dimensions === undefined) return Promise.resolve(new Float32Array(0));
      vectors ??= readSection(handle, sections.vectors, (b) => new Float32Array(b));
      return vectors;
    },
    passage: async (doc) => JSON.parse((await passageBytes(doc)).toString('utf8')) as Passage,
    passageBytes,
  };
}

/**
 * Opens the file at `path` and loads its segments; null when there is no file. The returned version
 * keeps the file open for the records and vectors it did not load.
 */
export async function readIndexFile(
  path: string,
): Promise<{ version: IndexFileVersion; stamp: FileStamp } | null> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return null;
  try {
    const { mtimeMs, size, ino } = await handle.stat();
    if (size < MAGIC.byteLength + TRAILER_BYTES) throw new CorruptIndexFileError(path, 'it ends early');
    const start = Buffer.alloc(MAGIC.byteLength);
    await readExactly(handle, start, 0);
    if (!start.equals(MAGIC)) throw new CorruptIndexFileError(path, 'it does not start with an index header');
    const trailer = Buffer.alloc(TRAILER_BYTES);
    await readExactly(handle, trailer, size - TRAILER_BYTES);
    if (!trailer.subarray(16).equals(MAGIC)) throw new CorruptIndexFileError(path, 'it ends early');
    const headerBytes = Buffer.alloc(trailer.readUInt32LE(8));
    await readExactly(handle, headerBytes, trailer.readDoubleLE(0));
    const header = JSON.parse(headerBytes.toString('utf8')) as FileHeader;
    if (header.format !== FORMAT || header.version !== VERSION) {
      throw new CorruptIndexFileError(
        path,
        `unknown format ${String(header.format)} version ${String(header.version)}`,
      );
    }
    const dimensions = header.dimensions ?? undefined;
    const segments = new Map<string, Segment>();
    for (const namespace of header.namespaces)
      segments.set(namespace.name, await readSegment(handle, namespace, dimensions));
    return { version: new IndexFileVersion(handle, segments, dimensions), stamp: { mtimeMs, size, ino } };
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof CorruptIndexFileError) throw error;
    throw new CorruptIndexFileError(path, 'its sections cannot be read', { cause: error });
  }
}
