/** Wire shapes of the rag-serving API (snake_case, as the server sends them) and the client's options. */

/** A chunk an answer cites; `[n]` in the response is `sources[n-1]`. */
export interface Source {
  readonly id: string;
  readonly source: string;
  readonly score: number;
  readonly text: string;
}

export interface Usage {
  readonly input_tokens: number;
  readonly output_tokens: number;
}

export interface GuardrailAssessment {
  readonly source: 'INPUT' | 'OUTPUT';
  readonly [detail: string]: unknown;
}

export interface Guardrail {
  readonly action: 'NONE' | 'INTERVENED';
  readonly assessments?: readonly GuardrailAssessment[];
}

/** One answer, as `POST /serving-endpoints/{name}/invocations` returns it in `predictions`. */
export interface Prediction {
  readonly response: string;
  readonly session_id: string;
  readonly sources: readonly Source[];
  readonly usage: Usage;
  readonly guardrail: Guardrail;
  /** Present with `returnTrace: true`. */
  readonly trace?: {
    readonly retrieval_question: string;
    readonly retrieved: readonly { readonly id: string; readonly score: number }[];
    readonly timings_ms: Readonly<Record<string, number>>;
  };
}

/** One stored turn of a session (`GET /sessions/{id}`). */
export interface SessionTurn {
  readonly query: string;
  readonly response: string;
  readonly sources: readonly Source[];
  /** ISO 8601, UTC. */
  readonly created_at: string;
}

export interface SessionPage {
  readonly session_id: string;
  /** Oldest turn first. */
  readonly turns: readonly SessionTurn[];
  /** Absent on the last page. */
  readonly next_page_token?: string;
}

export interface SessionSummary {
  readonly session_id: string;
  readonly created_at: string;
  readonly expires_at: string;
}

export interface SessionList {
  /** Newest first, only the caller's own sessions. */
  readonly sessions: readonly SessionSummary[];
  readonly next_page_token?: string;
}

export interface FeedbackReceipt {
  readonly feedback_id: string;
  readonly session_id: string;
}

/** Per-call options every method takes. */
export interface CallOptions {
  /** Cancels the call (and a retry's wait); the call rejects with the signal's reason. */
  readonly abortSignal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** Inference parameters (`params` on the wire). */
export interface AskParams {
  /** Passages retrieved, 1–50. @default 5 (the server's) */
  readonly topK?: number;
  /** 0–1. */
  readonly temperature?: number;
  /** 1–4096. */
  readonly maxTokens?: number;
  /** Metadata equality filter, e.g. `{ source: 'docs' }`. */
  readonly filter?: Readonly<Record<string, string | number | boolean>>;
  /** Adds `trace` (condensed question, retrieved chunk ids, per-stage timings) to each prediction. */
  readonly returnTrace?: boolean;
}

export interface AskOptions extends CallOptions, AskParams {
  /** Continue this session; absent starts a new one (the prediction names it). */
  readonly sessionId?: string;
}

/** A question of a batch: its text, or the text with the session to ask it in. */
export type BatchRecord = string | { readonly query: string; readonly sessionId?: string };

export type AskBatchOptions = CallOptions & AskParams;

export interface StreamOptions extends CallOptions {
  /**
   * Continue this session. Absent: the client starts a new session with a fresh id, so the turn is
   * stored as with `ask`; the final event names it.
   */
  readonly sessionId?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
}

/** What `stream` yields: answer text as it is released, then the complete prediction. */
export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'done';
      readonly prediction: Prediction;
      /** `content_filter` when the guardrail replaced the answer. */
      readonly finishReason: 'stop' | 'content_filter' | string;
    };

export interface PageOptions extends CallOptions {
  /** 1–100. @default 20 (the server's) */
  readonly pageSize?: number;
  /** `next_page_token` of the previous page. */
  readonly pageToken?: string;
}

export interface FeedbackOptions extends CallOptions {
  /** At most 2,000 characters. */
  readonly comment?: string;
}

/** Told before each retry, e.g. to log it. */
export interface RetryNotice {
  /** 1 for the first retry. */
  readonly retry: number;
  readonly status: number;
  readonly errorCode: string;
  /** How long the client waits before retrying, from the response's `Retry-After`. */
  readonly delayMs: number;
}

export interface RagClientOptions {
  /**
   * The server, e.g. `http://127.0.0.1:8080` or a stage's `ApiUrl`.
   * @default RAG_URL, else DATABRICKS_HOST
   */
  readonly baseUrl?: string;
  /** The bearer token. @default RAG_TOKEN, else DATABRICKS_TOKEN */
  readonly token?: string;
  /** The serving endpoint. @default RAG_ENDPOINT_NAME, else 'rag' */
  readonly endpointName?: string;
  /**
   * Time allowed for one attempt: the whole response of a JSON call, the response headers of a
   * stream. @default 60_000
   */
  readonly timeoutMs?: number;
  /** Retries of a 429 or 503 answer, each after the response's `Retry-After`. @default 2 */
  readonly maxRetries?: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once. @default 60 */
  readonly maxRetryAfterSeconds?: number;
  /** Called before each retry. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /** Where the defaults are read. @default process.env where there is one */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}
