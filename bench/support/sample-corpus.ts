import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openLocalRetrieval,
  type LocalRetrievalOptions,
} from '../../src/adapters/local/open-local-retrieval.js';
import { chunkDocument, formatOf } from '../../src/ingest/chunker.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import type { IngestReport } from '../../src/ingest/ingest-report.js';
import type { Chunk } from '../../src/core/ports/types.js';

export const SAMPLE_CORPUS = fileURLToPath(new URL('../../examples/corpus/', import.meta.url));
export const QUESTIONS_FILE = fileURLToPath(new URL('../data/questions.json', import.meta.url));
/** The source name `npm start` gives the sample corpus; chunk locations are `docs/<path>`. */
export const SAMPLE_SOURCE = 'docs';

export interface LabeledQuestion {
  readonly question: string;
  /** Paths under examples/corpus of the documents that answer it. */
  readonly expected: readonly string[];
}

export async function labeledQuestions(): Promise<LabeledQuestion[]> {
  return JSON.parse(await readFile(QUESTIONS_FILE, 'utf8')) as LabeledQuestion[];
}

/** Ingests the sample corpus into `dataDir` the way the first `npm start` does. */
export async function ingestSampleCorpus(
  dataDir: string,
  options: LocalRetrievalOptions = {},
): Promise<IngestReport> {
  const { embedder, index } = await openLocalRetrieval(dataDir, options);
  return ingestFolder({ dir: SAMPLE_CORPUS, source: SAMPLE_SOURCE, embedder, index });
}

/** The sample corpus's chunks, as ingestion makes them (without touching any index). */
export async function sampleChunks(): Promise<Chunk[]> {
  const entries = await readdir(SAMPLE_CORPUS, { recursive: true });
  const chunks: Chunk[] = [];
  for (const path of entries.filter((entry) => formatOf(entry) !== undefined).sort()) {
    const content = await readFile(join(SAMPLE_CORPUS, path), 'utf8');
    chunks.push(
      ...chunkDocument({ source: SAMPLE_SOURCE, relativePath: path.split('\\').join('/'), content }),
    );
  }
  return chunks;
}
