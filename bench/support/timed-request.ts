import { Agent, request } from 'node:http';

export interface TimedResponse {
  readonly status: number;
  /** Until status and headers arrived. */
  readonly headersMs: number;
  /** Until the first byte of the body arrived. */
  readonly firstByteMs: number;
  /** Until the body ended. */
  readonly totalMs: number;
  readonly body: string;
  /** Milliseconds at which each body chunk arrived, with its text (for SSE timing). */
  readonly chunks: readonly { readonly atMs: number; readonly text: string }[];
}

/** One keep-alive connection pool for all timed requests: a benchmark measures the server, not TCP set-up. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs a JSON body and times the answer's phases from the client's side. */
export function timedPost(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<TimedResponse> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
      },
      (res) => {
        const headersMs = performance.now() - started;
        const chunks: { atMs: number; text: string }[] = [];
        res.setEncoding('utf8');
        res.on('data', (text: string) => chunks.push({ atMs: performance.now() - started, text }));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headersMs,
            firstByteMs: chunks[0]?.atMs ?? Number.NaN,
            totalMs: performance.now() - started,
            body: chunks.map((chunk) => chunk.text).join(''),
            chunks,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function closeTimedRequests(): void {
  agent.destroy();
}
