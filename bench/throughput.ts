/**
 * Local throughput (issue 7.6): requests per second and latency of `npm start`'s server on
 * 127.0.0.1 under a bounded load (autocannon, fixed duration, fixed connections), at 1, 8 and 32
 * connections. Every request asks one labeled question in a new session, so each one runs the
 * whole pipeline: authorizer, session claim and store (embedded DynamoDB), BM25 retrieval,
 * extractive generation.
 */
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { labeledQuestions } from './support/sample-corpus.js';
import { startServerProcess } from './support/server-process.js';
import type { ReadyLine } from './support/local-server-process.js';
import type { Figure, Section } from './support/report.js';
import { isMain, progress, runSection } from './support/script.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./support/local-server-process.ts', import.meta.url));
const SECONDS = Math.max(3, Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 8));
const CONNECTIONS = [1, 8, 32] as const;

interface LoadResult {
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  /** Non-2xx answers, socket errors and timeouts. */
  readonly failures: number;
}

async function load(ready: ReadyLine, connections: number, seconds: number, questions: readonly string[]) {
  let next = 0;
  const result = await autocannon({
    url: `${ready.url}/serving-endpoints/${ready.endpointName}/invocations`,
    connections,
    duration: seconds,
    timeout: 10,
    method: 'POST',
    headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ dataframe_records: [{ query: questions[next++ % questions.length] }] }),
        }),
      },
    ],
  });
  return {
    connections,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  } satisfies LoadResult;
}

async function measureLevels(
  inMemorySessions: boolean,
  levels: readonly number[],
  questions: readonly string[],
) {
  const server = await startServerProcess<ReadyLine>(SERVER_SCRIPT, {
    env: { ...process.env, BENCH_IN_MEMORY_SESSIONS: String(inMemorySessions) },
  });
  try {
    progress('warm-up');
    await load(server.ready, 8, 2, questions);
    const results: LoadResult[] = [];
    for (const connections of levels) {
      progress(`${connections} connections for ${SECONDS} s`);
      results.push(await load(server.ready, connections, SECONDS, questions));
    }
    return results;
  } finally {
    await server.stop();
  }
}

const connectionsLabel = (n: number) => `${n} connection${n === 1 ? '' : 's'}`;

export async function throughput(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress('local server as npm start runs it (sessions in LevelDB under the data directory)');
  const results = await measureLevels(false, CONNECTIONS, questions);
  progress('the same with sessions in memory, to see what the session store costs');
  const [inMemory] = await measureLevels(true, [8], questions);
  const at = (connections: number) => results.find((r) => r.connections === connections) as LoadResult;
  const figures: Figure[] = results.flatMap((r) => [
    {
      figure: `${connectionsLabel(r.connections)}: requests per second`,
      value: r.requestsPerSecond,
      unit: 'req/s' as const,
      note: `p50 ${r.p50} ms`,
    },
    { figure: `${connectionsLabel(r.connections)}: p99 latency`, value: r.p99, unit: 'ms' as const },
  ]);
  figures.push(
    {
      figure: 'requests per second at 32 connections / at 1',
      value: at(32).requestsPerSecond / at(1).requestsPerSecond,
      unit: 'ratio',
      goal: { op: '>=', target: 1 },
      note: 'concurrency must not cost throughput',
    },
    {
      figure: 'failed requests (non-2xx, errors, timeouts)',
      value: [...results, ...(inMemory ? [inMemory] : [])].reduce((sum, r) => sum + r.failures, 0),
      unit: 'count',
      goal: { op: '<=', target: 0 },
      note: `of ${results.reduce((sum, r) => sum + r.requests, 0)}`,
    },
    {
      figure: '8 connections, sessions in memory: requests per second',
      value: inMemory?.requestsPerSecond ?? Number.NaN,
      unit: 'req/s',
      note: `p99 ${inMemory?.p99 ?? 'n/a'} ms; vs ${at(8).requestsPerSecond.toFixed(0)} req/s with LevelDB`,
    },
  );
  return {
    name: 'throughput',
    title: 'Local throughput',
    figures,
    findings: [
      `autocannon, ${SECONDS} s per level after a 2 s warm-up, one labeled question per request in a new session;`,
      "server and load generator share the machine's cores",
    ],
    details: { seconds: SECONDS, results, inMemorySessions: inMemory },
  };
}

if (isMain(import.meta.url)) await runSection(throughput);
