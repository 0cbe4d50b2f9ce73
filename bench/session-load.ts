import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Bounded load on the session path: N sessions at once, each asking M questions one after
 * another, then every session read back through `GET /sessions/{id}`. Counts lost, duplicated
 * and out-of-order turns and 5xx answers, and reports throughput and latency percentiles.
 * It stops by itself: a fixed number of requests, and a deadline after which nothing new starts.
 *
 *   npm run bench:sessions -- [--sessions 50] [--turns 20] [--deadline-s 300]
 *   npm run bench:sessions -- --url http://127.0.0.1:8080 --token "$(cat .rag/token)"
 *
 * Without --url it starts its own local server (embedded defaults, in-memory sessions).
 */

export interface SessionLoadOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly token: string;
  readonly endpointName: string;
  readonly sessions: number;
  readonly turnsPerSession: number;
  /** No new request starts after this many milliseconds. */
  readonly deadlineMs: number;
  /** Prefix of the session ids, so repeated runs against one server do not mix. */
  readonly runId: string;
}

export interface SessionLoadReport {
  readonly requests: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly serverErrors: number;
  /** Turns answered 200 but missing on read-back. */
  readonly lost: number;
  /** Turns that appear more than once on read-back. */
  readonly duplicated: number;
  /** Sessions whose turns read back in another order than they were asked. */
  readonly outOfOrder: number;
  /** Turns the deadline kept from being sent. */
  readonly notSent: number;
  readonly seconds: number;
  readonly throughputPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

const queryOf = (runId: string, session: number, turn: number) =>
  `load ${runId} session ${session} turn ${turn}: how are sessions stored and how long do they live?`;

async function readBack(options: SessionLoadOptions, sessionId: string): Promise<string[]> {
  const queries: string[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const url = new URL(`${options.baseUrl}/sessions/${encodeURIComponent(sessionId)}`);
    url.searchParams.set('page_size', '100');
    if (pageToken !== undefined) url.searchParams.set('page_token', pageToken);
    const response = await fetch(url, { headers: { authorization: `Bearer ${options.token}` } });
    if (response.status === 404) return queries;
    if (response.status !== 200) throw new Error(`reading ${sessionId} answered ${response.status}`);
    const body = (await response.json()) as { turns: { query: string }[]; next_page_token?: string };
    queries.push(...body.turns.map((turn) => turn.query));
    pageToken = body.next_page_token;
    if (pageToken === undefined) return queries;
  }
  throw new Error(`reading ${sessionId} did not end after 1000 pages`);
}

export async function runSessionLoad(options: SessionLoadOptions): Promise<SessionLoadReport> {
  const invocations = `${options.baseUrl}/serving-endpoints/${options.endpointName}/invocations`;
  const statusCounts: Record<string, number> = {};
  const latencies: number[] = [];
  const sentOk = new Map<string, string[]>();
  let notSent = 0;
  const started = performance.now();
  const deadline = started + options.deadlineMs;

  const runSession = async (session: number) => {
    const sessionId = `load-${options.runId}-${session}`;
    const answered: string[] = [];
    sentOk.set(sessionId, answered);
    for (let turn = 0; turn < options.turnsPerSession; turn++) {
      if (performance.now() > deadline) {
        notSent += options.turnsPerSession - turn;
        return;
      }
      const query = queryOf(options.runId, session, turn);
      const t0 = performance.now();
      let status: number;
      try {
        const response = await fetch(invocations, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ dataframe_records: [{ query, session_id: sessionId }] }),
        });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0; // connection failure: counted apart, never as success
      }
      latencies.push(performance.now() - t0);
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      if (status === 200) answered.push(query);
    }
  };

  await Promise.all(Array.from({ length: options.sessions }, (_, session) => runSession(session)));
  const seconds = (performance.now() - started) / 1000;

  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (const [sessionId, answered] of sentOk) {
    const stored = await readBack(options, sessionId);
    const counts = new Map<string, number>();
    for (const query of stored) counts.set(query, (counts.get(query) ?? 0) + 1);
    lost += answered.filter((query) => !counts.has(query)).length;
    duplicated += [...counts.values()].filter((count) => count > 1).length;
    if (stored.join('\n') !== answered.join('\n')) outOfOrder++;
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const requests = latencies.length;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests,
    statusCounts,
    serverErrors: Object.entries(statusCounts)
      .filter(([status]) => Number(status) >= 500 || Number(status) === 0)
      .reduce((sum, [, count]) => sum + count, 0),
    lost,
    duplicated,
    outOfOrder,
    notSent,
    seconds: round(seconds),
    throughputPerSecond: round(requests / seconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    },
  };
}

export function formatReport(
  options: Pick<SessionLoadOptions, 'sessions' | 'turnsPerSession'>,
  report: SessionLoadReport,
): string {
  const { latencyMs: l } = report;
  return [
    `session load: ${options.sessions} sessions x ${options.turnsPerSession} turns = ${report.requests} requests in ${report.seconds} s`,
    `  throughput ${report.throughputPerSecond} req/s; latency p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`,
    `  statuses ${JSON.stringify(report.statusCounts)}; 5xx/failed ${report.serverErrors}`,
    `  read back: lost ${report.lost}, duplicated ${report.duplicated}, sessions out of order ${report.outOfOrder}, not sent ${report.notSent}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '20' },
      turns: { type: 'string', default: '10' },
      'deadline-s': { type: 'string', default: '300' },
      url: { type: 'string' },
      token: { type: 'string' },
      endpoint: { type: 'string', default: process.env.RAG_ENDPOINT_NAME ?? 'rag' },
    },
  });
  const common = {
    endpointName: values.endpoint,
    sessions: Number(values.sessions),
    turnsPerSession: Number(values.turns),
    deadlineMs: Number(values['deadline-s']) * 1000,
    runId: Date.now().toString(36),
  };
  let report: SessionLoadReport;
  if (values.url !== undefined) {
    const token = values.token ?? process.env.RAG_TOKEN ?? process.env.DATABRICKS_TOKEN;
    if (!token) throw new Error('--url needs --token (or RAG_TOKEN)');
    report = await runSessionLoad({ ...common, baseUrl: values.url, token });
  } else {
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    const { startLocalServer } = await import('../src/local/local-server.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'rag-session-load-'));
    const token = `dapi${'5e55'.repeat(10)}`;
    const server = await startLocalServer({
      dataDir,
      port: 0,
      token,
      sampleCorpusDir: fileURLToPath(new URL('../examples/corpus/', import.meta.url)),
      inMemorySessions: true,
    });
    try {
      report = await runSessionLoad({ ...common, baseUrl: server.url, token });
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  console.log(formatReport(common, report));
  const clean =
    report.serverErrors === 0 && report.lost === 0 && report.duplicated === 0 && report.outOfOrder === 0;
  return clean ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
