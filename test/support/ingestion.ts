import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HashedEmbedder } from '../../src/adapters/local/hashed-embedder.js';
import type { EmbedOptions, EmbedResult, Embedder } from '../../src/core/ports/embedder.js';
import type { DocumentSource, SourceEntry } from '../../src/ingest/documents/document-source.js';

/** Counts the texts and calls it embeds, so a test can prove unchanged chunks are not embedded again. */
export class CountingEmbedder implements Embedder {
  readonly dimensions: number;
  texts = 0;
  calls = 0;
  private readonly inner: HashedEmbedder;

  constructor(dimensions = 64) {
    this.dimensions = dimensions;
    this.inner = new HashedEmbedder({ dimensions });
  }

  async embed(options: EmbedOptions): Promise<EmbedResult> {
    this.calls++;
    this.texts += options.texts.length;
    return this.inner.embed(options);
  }
}

/** A source that counts reads and how many documents it has listed, for bounds on memory. */
export class CountingSource implements DocumentSource {
  reads = 0;
  listed = 0;
  readonly description: string;

  constructor(private readonly inner: DocumentSource) {
    this.description = inner.description;
  }

  async *list(abortSignal?: AbortSignal): AsyncGenerator<SourceEntry> {
    for await (const entry of this.inner.list(abortSignal)) {
      this.listed++;
      yield entry;
    }
  }

  read(path: string, abortSignal?: AbortSignal): Promise<Uint8Array> {
    this.reads++;
    return this.inner.read(path, abortSignal);
  }

  stat(path: string, abortSignal?: AbortSignal): Promise<SourceEntry | undefined> {
    return this.inner.stat(path, abortSignal);
  }
}

export async function writeDocument(
  folder: string,
  relativePath: string,
  content: string | Buffer,
): Promise<void> {
  const path = join(folder, relativePath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

/** A paragraph of about 80 words about `topic`: one chunk, and distinct from other topics. */
export function paragraph(topic: string): string {
  return Array.from(
    { length: 6 },
    (_, i) => `The ${topic} sentence ${i} is long enough to count as real documentation text.`,
  ).join(' ');
}
