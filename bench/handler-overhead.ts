/**
 * Handler overhead (issue 7.2): end-to-end latency of one invocation over HTTP, through the local
 * API Gateway stand-in, the real handler and the cloud adapters (SDK clients, signing, HTTP/2),
 * against the wire-level fakes answering after injected latencies, divided by the sum of the
 * injected latencies on the critical path. What is left above 1 is ours plus the wire: routing,
 * auth, parsing, SDK calls, JSON, the fakes' own work. The same path with the latency-injecting
 * port doubles (no SDK, no wire) shows how much of it the handler itself takes.
 */
import { startFakeServing } from './support/fake-serving.js';
import {
  criticalPathMs,
  DEFAULT_LATENCIES,
  describeLatencies,
  NO_LATENCIES,
} from './support/injected-latencies.js';
import { formatValue, type Section } from './support/report.js';
import { labeledQuestions } from './support/sample-corpus.js';
import { isMain, progress, runSection } from './support/script.js';
import { BACKENDS_LABEL, startServingUnderTest } from './support/serving-under-test.js';
import { quantile } from './support/stats.js';
import { closeTimedRequests, timedPost } from './support/timed-request.js';

const REQUESTS = Math.max(20, Number(process.env.BENCH_OVERHEAD_REQUESTS ?? 40));
const WARM_UP = 5;

interface Serving {
  readonly invocationsUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

async function latencies(serving: Serving, questions: readonly string[]): Promise<number[]> {
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
    return samples;
  } finally {
    closeTimedRequests();
    await serving.close();
  }
}

export async function handlerOverhead(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress('the handler against the wire-level fakes (fakes in a process of their own)');
  const wire = await latencies(await startFakeServing({ latencies: DEFAULT_LATENCIES }), questions);
  progress(`the handler against ${BACKENDS_LABEL}`);
  const doubles = await latencies(await startServingUnderTest(DEFAULT_LATENCIES), questions);
  progress('the handler against the wire-level fakes with no injected latency');
  const bare = await latencies(await startFakeServing({ latencies: NO_LATENCIES }), questions);

  const critical = criticalPathMs(DEFAULT_LATENCIES);
  const p50 = quantile(wire, 0.5);
  const p99 = quantile(wire, 0.99);
  return {
    name: 'handler-overhead',
    title: 'Handler overhead',
    figures: [
      {
        figure: 'end-to-end p50 / critical path of injected latencies',
        value: p50 / critical,
        unit: 'ratio',
        goal: { op: '<=', target: 1.05 },
        note: `${formatValue(p50, 'ms')} vs ${formatValue(critical, 'ms')}`,
      },
      {
        figure: 'end-to-end p99 / critical path',
        value: p99 / critical,
        unit: 'ratio',
        note: `${formatValue(p99, 'ms')}, ${REQUESTS} requests`,
      },
      {
        figure: `end-to-end p50 / critical path, ${BACKENDS_LABEL}`,
        value: quantile(doubles, 0.5) / critical,
        unit: 'ratio',
        note: 'the handler alone: no SDK, no wire',
      },
      {
        figure: 'end-to-end p50 with no injected latency (wire fakes)',
        value: quantile(bare, 0.5),
        unit: 'ms',
        note: 'the fixed cost of the path',
      },
    ],
    findings: [
      `injected: ${describeLatencies(DEFAULT_LATENCIES)}; one record per request, a new session each`,
      `critical path of a first turn = max(claim, embed + retrieve, input guardrail) + generate + output guardrail + store = ${critical} ms`,
    ],
    details: { latencies: DEFAULT_LATENCIES, criticalPathMs: critical, wire, doubles, bare },
  };
}

if (isMain(import.meta.url)) await runSection(handlerOverhead);
