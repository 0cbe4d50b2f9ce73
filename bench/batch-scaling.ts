/**
 * Batch scaling (issue 7.3): one invocation carrying 8 or 32 records against one carrying a single
 * record, against the same wire-level fakes and injected latencies as the handler-overhead benchmark. Records
 * of a batch run concurrently, bounded by RAG_BATCH_CONCURRENCY (8), so 8 records should cost about
 * one record's time and 32 records about four.
 */
import { DEFAULT_LATENCIES } from './support/injected-latencies.js';
import { formatValue, type Section } from './support/report.js';
import { labeledQuestions } from './support/sample-corpus.js';
import { isMain, progress, runSection } from './support/script.js';
import { startFakeServing } from './support/fake-serving.js';
import { median, shuffled } from './support/stats.js';
import { closeTimedRequests, timedPost } from './support/timed-request.js';

const ROUNDS = Math.max(5, Number(process.env.BENCH_BATCH_ROUNDS ?? 10));
const SIZES = [1, 8, 32] as const;
const BATCH_CONCURRENCY = 8;

export async function batchScaling(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress('starting the wire-level fakes and the handler');
  const serving = await startFakeServing({
    latencies: DEFAULT_LATENCIES,
    environment: { RAG_BATCH_CONCURRENCY: String(BATCH_CONCURRENCY) },
  });
  try {
    const samples = new Map<number, number[]>(SIZES.map((size) => [size, []]));
    let next = 0;
    // Round 0 warms up and is dropped; sizes run in a new random order each round.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const size of shuffled(SIZES)) {
        const records = Array.from({ length: size }, () => ({ query: questions[next++ % questions.length] }));
        const response = await timedPost(
          serving.invocationsUrl,
          { dataframe_records: records },
          serving.headers,
        );
        if (response.status !== 200)
          throw new Error(`batch of ${size} answered ${response.status}: ${response.body}`);
        const predictions = (JSON.parse(response.body) as { predictions: unknown[] }).predictions;
        if (predictions.length !== size)
          throw new Error(`batch of ${size} got ${predictions.length} predictions`);
        if (round > 0) samples.get(size)?.push(response.totalMs);
      }
    }
    const p50 = (size: number) => median(samples.get(size) ?? []);
    const waves = Math.ceil(32 / BATCH_CONCURRENCY);
    return {
      name: 'batch-scaling',
      title: 'Batch scaling',
      figures: [
        {
          figure: 'batch of 8 / single record, p50',
          value: p50(8) / p50(1),
          unit: 'ratio',
          goal: { op: '<=', target: 1.3 },
          note: `${formatValue(p50(8), 'ms')} vs ${formatValue(p50(1), 'ms')}`,
        },
        {
          figure: `batch of 32 / single record, p50: ${waves} waves of ${BATCH_CONCURRENCY}`,
          value: p50(32) / p50(1),
          unit: 'ratio',
          goal: { op: '<=', target: 1.3 * waves },
          note: formatValue(p50(32), 'ms'),
        },
      ],
      findings: [
        `${ROUNDS} rounds, sizes interleaved in random order; RAG_BATCH_CONCURRENCY=${BATCH_CONCURRENCY}, so 32 records run as ${waves} waves and the goal for 32 is 1.3 × ${waves}`,
      ],
      details: {
        rounds: ROUNDS,
        latencies: DEFAULT_LATENCIES,
        samples: Object.fromEntries(samples),
      },
    };
  } finally {
    closeTimedRequests();
    await serving.close();
  }
}

if (isMain(import.meta.url)) await runSection(batchScaling);
