/**
 * Handler overhead (issue 7.2): end-to-end latency of one invocation over HTTP, through the local
 * API Gateway stand-in and the real handler, against backends that answer after injected
 * latencies, divided by the sum of the injected latencies on the critical path. What is left above
 * 1 is ours: routing, auth, parsing, pipeline scheduling, JSON.
 */
import { criticalPathMs, DEFAULT_LATENCIES, describeLatencies } from './support/injected-latencies.js';
import { formatValue, type Section } from './support/report.js';
import { labeledQuestions } from './support/sample-corpus.js';
import { isMain, progress, runSection } from './support/script.js';
import { BACKENDS_LABEL, startServingUnderTest } from './support/serving-under-test.js';
import { quantile } from './support/stats.js';
import { closeTimedRequests, timedPost } from './support/timed-request.js';

const REQUESTS = Math.max(20, Number(process.env.BENCH_OVERHEAD_REQUESTS ?? 40));
const WARM_UP = 5;

export async function handlerOverhead(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress(`starting the handler (${BACKENDS_LABEL})`);
  const serving = await startServingUnderTest(DEFAULT_LATENCIES);
  try {
    const samples: number[] = [];
    for (let i = 0; i < WARM_UP + REQUESTS; i++) {
      const response = await timedPost(
        serving.invocationsUrl,
        { dataframe_records: [{ query: questions[i % questions.length] }] },
        serving.headers,
      );
      if (response.status !== 200)
        throw new Error(`invocation answered ${response.status}: ${response.body}`);
      if (i >= WARM_UP) samples.push(response.totalMs);
    }
    const critical = criticalPathMs(DEFAULT_LATENCIES);
    const p50 = quantile(samples, 0.5);
    const p99 = quantile(samples, 0.99);
    return {
      name: 'handler-overhead',
      title: 'Handler overhead',
      figures: [
        {
          figure: `end-to-end p50 / critical path of injected latencies (${BACKENDS_LABEL})`,
          value: p50 / critical,
          unit: 'ratio',
          goal: { op: '<=', target: 1.05 },
          note: `${formatValue(p50, 'ms')} vs ${formatValue(critical, 'ms')}`,
        },
        {
          figure: `end-to-end p99 / critical path (${BACKENDS_LABEL})`,
          value: p99 / critical,
          unit: 'ratio',
          note: `${formatValue(p99, 'ms')}, ${REQUESTS} requests`,
        },
      ],
      findings: [
        `injected: ${describeLatencies(DEFAULT_LATENCIES)}; one record per request, a new session each`,
        `critical path of a first turn = max(claim, embed + retrieve, input guardrail) + generate + output guardrail + store = ${critical} ms`,
      ],
      details: { backends: BACKENDS_LABEL, latencies: DEFAULT_LATENCIES, criticalPathMs: critical, samples },
    };
  } finally {
    closeTimedRequests();
    await serving.close();
  }
}

if (isMain(import.meta.url)) await runSection(handlerOverhead);
