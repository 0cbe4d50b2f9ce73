/**
 * Ingestion (issue 11): documents per second and peak memory of a full reconcile of a generated
 * corpus (small Markdown documents, one chunk each), into the local index and through the cloud
 * adapters (Bedrock embeddings, Pinecone, the DynamoDB manifest) to the wire-level fakes, which
 * run in a process of their own. Each run is a fresh process; its heap is sampled every 10 ms.
 * Bounded memory shows as peak heap above the baseline that does not grow with the corpus: the
 * figures compare 1,000 and 5,000 documents. A second run over the unchanged corpus must make no
 * embedding call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedCorpus } from '../test/support/generated-corpus.js';
import type { IngestionFakes } from './support/ingestion-fakes.js';
import type { IngestionWorkerInput, IngestionWorkerResult } from './support/ingestion-worker.js';
import { runTimed } from './support/processes.js';
import type { Figure, Section } from './support/report.js';
import { isMain, progress, runSection } from './support/script.js';
import { startServerProcess } from './support/server-process.js';

const WORKER = fileURLToPath(new URL('./support/ingestion-worker.ts', import.meta.url));
const FAKES = fileURLToPath(new URL('./support/ingestion-fakes.ts', import.meta.url));
const SIZES = (process.env.BENCH_INGESTION_SIZES ?? '1000,5000').split(',').map(Number);
const MB = 1024 * 1024;

async function runWorker(input: IngestionWorkerInput): Promise<IngestionWorkerResult> {
  const run = await runTimed(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', WORKER, JSON.stringify(input)],
    {
      env: process.env,
      timeoutMs: 900_000,
    },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`ingestion worker failed (${String(run.code)}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as IngestionWorkerResult;
}

export async function measureIngestion(): Promise<Section> {
  const root = await mkdtemp(join(tmpdir(), 'rag-bench-corpus-'));
  const fakes = await startServerProcess<IngestionFakes>(FAKES);
  try {
    const results: { target: 'local' | 'fakes'; size: number; result: IngestionWorkerResult }[] = [];
    for (const size of SIZES) {
      progress(`ingestion: generating ${size} documents`);
      const dir = await writeGeneratedCorpus(join(root, String(size)), size);
      for (const target of ['local', 'fakes'] as const) {
        progress(`ingestion: ${size} documents, ${target}`);
        const result = await runWorker({ target, dir, ...(target === 'fakes' && { fakes: fakes.ready }) });
        results.push({ target, size, result });
      }
    }
    const figures: Figure[] = [];
    const largest = Math.max(...SIZES);
    const smallest = Math.min(...SIZES);
    for (const target of ['local', 'fakes'] as const) {
      const label = target === 'local' ? 'local index' : 'Bedrock + Pinecone fakes';
      const big = results.find((r) => r.target === target && r.size === largest)!.result;
      const small = results.find((r) => r.target === target && r.size === smallest)!.result;
      const growth = (r: IngestionWorkerResult) => (r.peakHeap - r.baselineHeap) / MB;
      const retained = (r: IngestionWorkerResult) => (r.peakRetainedHeap - r.baselineHeap) / MB;
      figures.push(
        {
          figure: `${label}: documents per second, first run of ${largest}`,
          value: Math.round(big.documents / big.firstSeconds),
          unit: 'count',
          note: `${big.firstSeconds.toFixed(1)} s for ${big.documents} documents, ${big.chunks} chunks`,
        },
        {
          figure: `${label}: peak heap above baseline, ${largest} documents`,
          value: Math.round(growth(big) * 10) / 10,
          unit: 'MB',
          note: `garbage included; peak RSS ${(big.peakRss / MB).toFixed(0)} MB; ${smallest} documents: +${growth(small).toFixed(1)} MB, RSS ${(small.peakRss / MB).toFixed(0)} MB`,
        },
        {
          figure: `${label}: heap retained at a checkpoint, ${largest} documents`,
          value: Math.round(retained(big) * 10) / 10,
          unit: 'MB',
          note: `after a full GC, above baseline; ${smallest} documents: ${retained(small).toFixed(1)} MB`,
        },
        {
          figure: `${label}: retained heap, ${largest} / ${smallest} documents`,
          value: Math.round((retained(big) / Math.max(retained(small), 0.5)) * 100) / 100,
          unit: 'ratio',
          ...(target === 'fakes' && { goal: { op: '<=' as const, target: 1.5 } }),
          note:
            target === 'local'
              ? 'the local index keeps every chunk in memory'
              : `the corpus grew ${largest / smallest}×`,
        },
        {
          figure: `${label}: embedding calls of the unchanged second run`,
          value: big.secondEmbeddingCalls,
          unit: 'count',
          goal: { op: '<=', target: 0 },
          note: `${big.secondSeconds.toFixed(2)} s (${Math.round(big.documents / big.secondSeconds)} documents/s)`,
        },
      );
    }
    return {
      name: 'ingestion',
      title: 'Ingestion: a reconcile of generated documents',
      figures,
      details: results,
      findings: [
        'Each document is one small Markdown file (one chunk); the fakes answer at once, so these are the costs of the code, not of Bedrock or Pinecone.',
        'Through the fakes, Titan embeds one text per call (8 in flight); the local index rewrites its file once per checkpoint of 200 documents.',
      ],
    };
  } finally {
    await fakes.stop();
    await rm(root, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runSection(measureIngestion);
