import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The REST API version of the data plane, as the pinned SDK (8.2.0) sends it; a unit test fails
 * when the SDK moves on, so both speak the same version.
 */
export const PINECONE_API_VERSION = '2026-04';

/** Pinecone answered with an error status; `status` tells a retryable failure from a permanent one. */
export class PineconeHttpError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`Pinecone answered ${status}: ${detail.slice(0, 300)}`);
    this.name = 'PineconeHttpError';
  }
}

export interface PineconeHttpOptions {
  /** Retries of a 5xx answer or a failed connection. @default 2 */
  readonly maxRetries?: number;
  /** Attempts when Pinecone throttles (429), honouring `Retry-After`. @default 3 */
  readonly throttleAttempts?: number;
}

export interface PineconeCall {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly apiKey: string;
  readonly body?: unknown;
  readonly abortSignal?: AbortSignal;
}

const RETRY_BASE_DELAY_MS = 100;

/** Full jitter: a random wait up to base · 2^attempt. */
const backoffMs = (attempt: number) => Math.random() * RETRY_BASE_DELAY_MS * 2 ** attempt;

interface RawResponse {
  readonly status: number;
  readonly retryAfterSeconds: number;
  readonly text: string;
}

/**
 * JSON calls to Pinecone's REST API over Node's own http(s) with keep-alive agents: no SDK, and no
 * `fetch` (whose first use loads undici, ≈ 40 ms at cold start). Retries 5xx and dropped
 * connections (`maxRetries`) and throttling (`throttleAttempts`) with full-jitter backoff, and
 * stops at once when the call's abort signal fires.
 */
export class PineconeHttp {
  private readonly agents = {
    'http:': new HttpAgent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true }),
  };
  private readonly maxRetries: number;
  private readonly throttleAttempts: number;

  constructor(options: PineconeHttpOptions = {}) {
    this.maxRetries = options.maxRetries ?? 2;
    this.throttleAttempts = options.throttleAttempts ?? 3;
  }

  async json<T>(call: PineconeCall): Promise<T> {
    let failures = 0;
    let throttles = 0;
    for (;;) {
      let response: RawResponse;
      try {
        response = await this.send(call);
      } catch (error) {
        if (call.abortSignal?.aborted || failures >= this.maxRetries) throw error;
        failures++;
        await sleep(backoffMs(failures), undefined, { signal: call.abortSignal });
        continue;
      }
      if (response.status < 300) return JSON.parse(response.text) as T;
      const error = new PineconeHttpError(response.status, response.text);
      if (response.status === 429 && ++throttles < this.throttleAttempts) {
        await sleep(Math.max(response.retryAfterSeconds * 1000, backoffMs(throttles)), undefined, {
          signal: call.abortSignal,
        });
        continue;
      }
      if (response.status >= 500 && failures < this.maxRetries) {
        failures++;
        await sleep(backoffMs(failures), undefined, { signal: call.abortSignal });
        continue;
      }
      throw error;
    }
  }

  private send(call: PineconeCall): Promise<RawResponse> {
    const { url, method, apiKey, abortSignal } = call;
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent: this.agents[url.protocol === 'http:' ? 'http:' : 'https:'],
          headers: {
            'Api-Key': apiKey,
            'X-Pinecone-Api-Version': PINECONE_API_VERSION,
            'User-Agent': 'rag-serving; source_tag=rag_serving',
            Accept: 'application/json',
            ...(body !== undefined && {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(body),
            }),
          },
          ...(abortSignal && { signal: abortSignal }),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              retryAfterSeconds: Number(response.headers['retry-after'] ?? 0) || 0,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** Closes idle keep-alive connections (tests, CLIs). */
  destroy(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
