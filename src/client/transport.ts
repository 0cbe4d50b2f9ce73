import { RagApiError, RagConnectionError, RagError, RagTimeoutError } from './errors.js';
import type { Connection } from './connection.js';
import type { CallOptions, RetryNotice } from './types.js';

export interface TransportSettings {
  readonly connection: Connection;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryAfterSeconds: number;
  readonly onRetry?: (notice: RetryNotice) => void;
  readonly fetch: typeof fetch;
  readonly userAgent: string;
}

export interface HttpCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below the base URL, starting with `/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly accept?: string;
}

/** A response whose body is still to be read, with the means to read it safely. */
export interface OpenResponse {
  readonly response: Response;
  /** Turns a failure while reading the body into the client's errors (timeout, abort, connection). */
  readonly explain: (error: unknown) => unknown;
  /** Detaches the caller's abort signal once the body is read (or abandoned). */
  readonly close: () => void;
}

/** Statuses worth retrying after the server's `Retry-After`: quota or throttling, and a backend briefly down. */
const RETRYABLE = new Set([429, 503]);
/** 503 without a `Retry-After` (e.g. from a proxy) is retried after this. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** Seconds from a `Retry-After` header: an integer, or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The error a failed response carries, in the Databricks shape or the OpenAI one. */
async function apiErrorOf(response: Response): Promise<RagApiError> {
  const text = await response.text().catch(() => '');
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as {
      error_code?: unknown;
      message?: unknown;
      error?: { code?: unknown; message?: unknown };
    };
    code = typeof body.error_code === 'string' ? body.error_code : undefined;
    message = typeof body.message === 'string' ? body.message : undefined;
    if (body.error && typeof body.error === 'object') {
      code ??= typeof body.error.code === 'string' ? body.error.code : undefined;
      message ??= typeof body.error.message === 'string' ? body.error.message : undefined;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): described by its status alone.
  }
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const requestId = response.headers.get('x-request-id') ?? undefined;
  return new RagApiError(
    message ?? `HTTP ${response.status} ${response.statusText}`.trim(),
    response.status,
    code ?? (response.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
    {
      ...(requestId !== undefined && { requestId }),
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    },
  );
}

/** Waits, unless the signal aborts first (then rejects with its reason). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * HTTP with the client's policies: bearer token, a time limit per attempt, the caller's abort
 * signal, and retries of 429 and 503 after the server's `Retry-After` (up to `maxRetries`, never
 * past `maxRetryAfterSeconds`).
 */
export class Transport {
  constructor(private readonly settings: TransportSettings) {}

  /** Sends the call and returns its JSON body (undefined for an empty one, e.g. 204). */
  async json<T>(call: HttpCall, options: CallOptions = {}): Promise<T> {
    return this.#withRetries(options, async () => {
      const opened = await this.#attempt(call, options, 'body');
      try {
        const text = await opened.response.text();
        return (text === '' ? undefined : JSON.parse(text)) as T;
      } catch (error) {
        throw opened.explain(error);
      } finally {
        opened.close();
      }
    });
  }

  /** Sends the call and returns the response once its headers are in; the caller reads the body. */
  open(call: HttpCall, options: CallOptions = {}): Promise<OpenResponse> {
    return this.#withRetries(options, () => this.#attempt(call, options, 'headers'));
  }

  async #withRetries<T>(options: CallOptions, attempt: () => Promise<T>): Promise<T> {
    const { maxRetries, maxRetryAfterSeconds, onRetry } = this.settings;
    for (let retry = 1; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RagApiError) || !RETRYABLE.has(error.status) || retry > maxRetries)
          throw error;
        const waitSeconds = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
        if (waitSeconds > maxRetryAfterSeconds) throw error;
        const notice = {
          retry,
          status: error.status,
          errorCode: error.errorCode,
          delayMs: waitSeconds * 1000,
        };
        onRetry?.(notice);
        await sleep(notice.delayMs, options.abortSignal);
      }
    }
  }

  /**
   * One request. `limit` says what the time limit covers: the whole body (JSON calls) or only the
   * headers (streams, whose body may rightly take long). An error status is read and thrown.
   */
  async #attempt(call: HttpCall, options: CallOptions, limit: 'body' | 'headers'): Promise<OpenResponse> {
    const { connection, userAgent } = this.settings;
    const timeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    const callerSignal = options.abortSignal;
    callerSignal?.throwIfAborted();

    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new RagTimeoutError(timeoutMs));
    }, timeoutMs);
    const close = () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    };
    const explain = (error: unknown): unknown => {
      if (timedOut) return new RagTimeoutError(timeoutMs);
      if (callerSignal?.aborted) return callerSignal.reason;
      if (error instanceof RagError) return error;
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const detail = cause instanceof Error ? `: ${cause.message}` : '';
      return new RagConnectionError(`Could not reach ${connection.baseUrl}${detail}`, { cause: error });
    };

    const url = new URL(`${connection.baseUrl}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    try {
      const response = await this.settings.fetch(url, {
        method: call.method,
        headers: {
          authorization: `Bearer ${connection.token}`,
          accept: call.accept ?? 'application/json',
          'user-agent': userAgent,
          ...(call.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
        signal: controller.signal,
      });
      if (!response.ok) throw await apiErrorOf(response);
      if (limit === 'headers') clearTimeout(timer);
      return { response, explain, close };
    } catch (error) {
      close();
      throw explain(error);
    }
  }
}
