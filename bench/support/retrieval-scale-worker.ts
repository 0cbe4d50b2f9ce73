/**
 * One index size of the retrieval benchmark, in a process of its own (started with
 * `--expose-gc`), so that memory is measured on a clean heap and sizes do not share caches.
 *
 * Builds an index of the sample corpus plus generated chunks up to `size`, reopens it from its
 * file (load time, memory), and times the labeled questions against: the default ranking, the
 * index's own vector mode, and an exact brute-force cosine scan over one flat Float32Array (the
 * simplest exact search: what an index must beat, and the exact answer vector mode must match).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashedEmbedder } from '../../src/adapters/local/hashed-embedder.js';
import { LocalVectorIndex } from '../../src/adapters/local/local-index.js';
import { localIndexPath } from '../../src/adapters/local/open-local-retrieval.js';
import type { Chunk } from '../../src/core/ports/types.js';
import { labeledQuestions, sampleChunks } from './sample-corpus.js';
import { quantile } from './stats.js';
import { seededRandom, syntheticChunks, wordsByFrequency } from './synthetic-corpus.js';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface ScaleResult {
  readonly size: number;
  readonly buildSeconds: number;
  /** Reopening the file, as a server start does; measured only where a second load is affordable. */
  readonly loadSeconds?: number;
  readonly fileBytes: number;
  /** Heap plus array buffers held by the reopened index. */
  readonly indexBytes: number;
  readonly queries: number;
  readonly latencyMs: {
    readonly default: Percentiles;
    readonly bruteForce: Percentiles;
    /** The index's own vector mode (a second instance, so only where reopening is affordable). */
    readonly vector?: Percentiles;
  };
  /** Share of the vector mode's top 5 that the exact scan also returns. */
  readonly vectorAgreementAt5?: number;
}

const TOP_K = 5;
/** Chunk lengths like the sample corpus's (mean 142 words, 12 to 325). */
const SYNTHETIC_LENGTH = { minWords: 60, maxWords: 220 } as const;

function randomUnitVectors(dimensions: number): () => number[] {
  const random = seededRandom(11);
  return () => {
    const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  };
}
const BUILD_BATCH = 2_000;
const WARM_UP_QUERIES = 10;

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the worker with --expose-gc');
  gc();
  gc();
}

function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Exact top-k by cosine over unit vectors laid out row after row. */
function bruteForceTopK(matrix: Float32Array, dimensions: number, query: Float32Array, k: number): number[] {
  const rows = matrix.length / dimensions;
  const bestRows: number[] = [];
  const bestScores: number[] = [];
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    const offset = row * dimensions;
    for (let i = 0; i < dimensions; i++) dot += (query[i] as number) * (matrix[offset + i] as number);
    if (bestScores.length === k && dot <= (bestScores[k - 1] as number)) continue;
    let at = bestScores.length;
    while (at > 0 && (bestScores[at - 1] as number) < dot) at--;
    bestScores.splice(at, 0, dot);
    bestRows.splice(at, 0, row);
    if (bestScores.length > k) {
      bestScores.pop();
      bestRows.pop();
    }
  }
  return bestRows;
}

async function timeQueries(
  repetitions: number,
  run: (question: number) => Promise<unknown> | unknown,
  questions: number,
) {
  for (let q = 0; q < Math.min(questions, WARM_UP_QUERIES); q++) await run(q); // not recorded
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    for (let q = 0; q < questions; q++) {
      const started = performance.now();
      await run(q);
      samples.push(performance.now() - started);
    }
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

export async function measureScale(
  size: number,
  repetitions: number,
  withVectorMode: boolean,
): Promise<ScaleResult> {
  const dataDir = await mkdtemp(join(tmpdir(), `rag-bench-scale-${size}-`));
  try {
    const embedder = new HashedEmbedder();
    const dimensions = embedder.dimensions;
    const real = await sampleChunks();
    const matrix = new Float32Array(Math.max(size, real.length) * dimensions);
    const ids: string[] = [];

    // Build: the sample corpus with its real vectors, then generated chunks with random unit
    // vectors (their text is generated too, so a hashed vector of it would mean no more, and
    // embedding 100k chunks would cost more than everything measured here). One file write at the end.
    const randomVector = randomUnitVectors(dimensions);
    collectGarbage();
    const before = heldBytes();
    const buildStarted = performance.now();
    const index = new LocalVectorIndex(localIndexPath(dataDir));
    const add = async (chunks: readonly Chunk[], vectors: readonly (readonly number[])[]) => {
      const indexed = chunks.map((chunk, i) => {
        const vector = vectors[i] as readonly number[];
        matrix.set(vector, ids.length * dimensions);
        ids.push(chunk.id);
        return { ...chunk, vector };
      });
      await index.upsert(indexed);
    };
    const realVectors = await embedder.embed({
      texts: real.map((chunk) => `${chunk.title}\n\n${chunk.text}`),
      purpose: 'document',
    });
    await index.batch(async () => {
      await add(real, realVectors.vectors);
      let batch: Chunk[] = [];
      let n = 0;
      const generated = syntheticChunks({
        count: Math.max(0, size - real.length),
        seedWords: wordsByFrequency(real.map((chunk) => chunk.text)),
        ...SYNTHETIC_LENGTH,
      });
      for (const { title, text } of generated) {
        batch.push({
          id: `synthetic:${n}`,
          title,
          text,
          location: `synthetic/${n}`,
          metadata: { source: 'synthetic' },
        });
        n++;
        if (batch.length === BUILD_BATCH) {
          await add(batch, batch.map(randomVector));
          batch = [];
        }
      }
      if (batch.length > 0) await add(batch, batch.map(randomVector));
    });
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const fileBytes = (await stat(localIndexPath(dataDir))).size;

    collectGarbage();
    // The flat matrix was allocated before `before`; the id list shares its strings with the index.
    const indexBytes = heldBytes() - before;
    const questions = await labeledQuestions();
    const queryVectors = await Promise.all(
      questions.map(async ({ question }) => {
        const { vectors } = await embedder.embed({ texts: [question], purpose: 'query' });
        return vectors[0] as number[];
      }),
    );
    const ask = (target: LocalVectorIndex, q: number) =>
      target.query({ text: questions[q]?.question ?? '', vector: queryVectors[q] ?? [], topK: TOP_K });

    const flatQueries = queryVectors.map((vector) => Float32Array.from(vector));
    const defaultLatency = await timeQueries(repetitions, (q) => ask(index, q), questions.length);
    const bruteForceLatency = await timeQueries(
      repetitions,
      (q) => bruteForceTopK(matrix, dimensions, flatQueries[q] as Float32Array, TOP_K),
      questions.length,
    );
    if (!withVectorMode) {
      return {
        size: ids.length,
        buildSeconds,
        fileBytes,
        indexBytes,
        queries: repetitions * questions.length,
        latencyMs: { default: defaultLatency, bruteForce: bruteForceLatency },
      };
    }

    // Vector mode is a second instance, so reopening the file also gives the load time a server start pays.
    const loadStarted = performance.now();
    const vectorIndex = await LocalVectorIndex.open(localIndexPath(dataDir), { mode: 'vector' });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const vectorLatency = await timeQueries(repetitions, (q) => ask(vectorIndex, q), questions.length);
    let agreeing = 0;
    for (let q = 0; q < questions.length; q++) {
      const exact = new Set(
        bruteForceTopK(matrix, dimensions, flatQueries[q] as Float32Array, TOP_K).map((row) => ids[row]),
      );
      const { matches } = await ask(vectorIndex, q);
      agreeing += matches.filter((match) => exact.has(match.id)).length / Math.max(1, exact.size);
    }

    return {
      size: ids.length,
      buildSeconds,
      loadSeconds,
      fileBytes,
      indexBytes,
      queries: repetitions * questions.length,
      latencyMs: { default: defaultLatency, bruteForce: bruteForceLatency, vector: vectorLatency },
      vectorAgreementAt5: agreeing / questions.length,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const [sizeArgument, repetitionsArgument, vectorModeArgument] = process.argv.slice(2);
if (sizeArgument !== undefined) {
  const result = await measureScale(
    Number(sizeArgument),
    Number(repetitionsArgument ?? 5),
    vectorModeArgument !== 'no-vector-mode',
  );
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}
