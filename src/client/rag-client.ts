import { resolveConnection, type Connection } from './connection.js';
import { RagApiError, RagConnectionError, statusOfErrorCode } from './errors.js';
import { serverSentData } from './server-sent-events.js';
import { Transport, type HttpCall } from './transport.js';
import type {
  AskBatchOptions,
  AskOptions,
  AskParams,
  BatchRecord,
  CallOptions,
  FeedbackOptions,
  FeedbackReceipt,
  Guardrail,
  PageOptions,
  Prediction,
  RagClientOptions,
  SessionList,
  SessionPage,
  Source,
  StreamEvent,
  StreamOptions,
} from './types.js';

export const CLIENT_VERSION = '0.1.0';

const DEFAULTS = { timeoutMs: 60_000, maxRetries: 2, maxRetryAfterSeconds: 60 } as const;

/** `params` as the wire names them; only what was given, so the server's defaults apply otherwise. */
function wireParams(params: AskParams): Record<string, unknown> | undefined {
  const wire = {
    ...(params.topK !== undefined && { top_k: params.topK }),
    ...(params.temperature !== undefined && { temperature: params.temperature }),
    ...(params.maxTokens !== undefined && { max_tokens: params.maxTokens }),
    ...(params.filter !== undefined && { filter: params.filter }),
    ...(params.returnTrace !== undefined && { return_trace: params.returnTrace }),
  };
  return Object.keys(wire).length > 0 ? wire : undefined;
}

function wireRecord(record: BatchRecord): Record<string, string> {
  if (typeof record === 'string') return { query: record };
  return {
    query: record.query,
    ...(record.sessionId !== undefined && { session_id: record.sessionId }),
  };
}

const callOptions = ({ abortSignal, timeoutMs }: CallOptions): CallOptions => ({
  ...(abortSignal && { abortSignal }),
  ...(timeoutMs !== undefined && { timeoutMs }),
});

/** One event of the chat stream, as the server sends it (OpenAI `chat.completion.chunk`). */
interface ChatChunk {
  readonly choices?: readonly { delta?: { content?: string }; finish_reason?: string | null }[];
  readonly usage?: { prompt_tokens: number; completion_tokens: number };
  readonly session_id?: string;
  readonly sources?: readonly Source[];
  readonly guardrail?: Guardrail;
  readonly error?: { message?: string; code?: string };
}

/**
 * A typed client of a rag-serving endpoint, local (`npm start`) or deployed: questions one at a
 * time, in batches or streamed, the caller's sessions, and feedback. Failures are typed
 * (`RagApiError` with the HTTP status and Databricks `error_code`, `RagConnectionError`,
 * `RagTimeoutError`); 429 and 503 answers are retried after their `Retry-After`.
 */
export class RagClient {
  readonly connection: Connection;
  readonly #transport: Transport;

  /** The caller's conversations (scopes `sessions:read` and `sessions:delete`). */
  readonly sessions = {
    /** One page of a session's turns, oldest first. */
    get: (sessionId: string, options: PageOptions = {}): Promise<SessionPage> =>
      this.#transport.json<SessionPage>(
        {
          method: 'GET',
          path: `/sessions/${encodeURIComponent(sessionId)}`,
          query: { page_size: options.pageSize, page_token: options.pageToken },
        },
        callOptions(options),
      ),
    /** One page of the caller's live sessions, newest first. */
    list: (options: PageOptions = {}): Promise<SessionList> =>
      this.#transport.json<SessionList>(
        {
          method: 'GET',
          path: '/sessions',
          query: { page_size: options.pageSize, page_token: options.pageToken },
        },
        callOptions(options),
      ),
    /** Erases every turn and the feedback of a session. */
    delete: async (sessionId: string, options: CallOptions = {}): Promise<void> => {
      await this.#transport.json<undefined>(
        { method: 'DELETE', path: `/sessions/${encodeURIComponent(sessionId)}` },
        callOptions(options),
      );
    },
  };

  constructor(options: RagClientOptions = {}) {
    this.connection = resolveConnection(options);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.#transport = new Transport({
      connection: this.connection,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? DEFAULTS.maxRetryAfterSeconds,
      ...(options.onRetry && { onRetry: options.onRetry }),
      fetch: fetchImpl.bind(globalThis),
      userAgent: `rag-serving-client/${CLIENT_VERSION}`,
    });
  }

  get #invocationsPath(): string {
    return `/serving-endpoints/${encodeURIComponent(this.connection.endpointName)}/invocations`;
  }

  /** Asks one question; without `sessionId` a new session is started and the prediction names it. */
  async ask(query: string, options: AskOptions = {}): Promise<Prediction> {
    const [prediction] = await this.askBatch(
      [{ query, ...(options.sessionId !== undefined && { sessionId: options.sessionId }) }],
      options,
    );
    if (prediction === undefined)
      throw new RagApiError('The server answered no prediction.', 502, 'BAD_RESPONSE');
    return prediction;
  }

  /** Asks several questions in one request (at most 100); predictions come back in the same order. */
  async askBatch(records: readonly BatchRecord[], options: AskBatchOptions = {}): Promise<Prediction[]> {
    const params = wireParams(options);
    const body = await this.#transport.json<{ predictions: Prediction[] }>(
      {
        method: 'POST',
        path: this.#invocationsPath,
        body: { dataframe_records: records.map(wireRecord), ...(params && { params }) },
      },
      callOptions(options),
    );
    return body.predictions;
  }

  /**
   * Streams the answer to a question: `text` events as sentences are released (after the output
   * guardrail has checked them), then one `done` event with the complete prediction. Breaking out
   * of the loop, or aborting, stops the request.
   */
  async *stream(query: string, options: StreamOptions = {}): AsyncGenerator<StreamEvent> {
    // Without a session id the chat route would not store the turn; a fresh id makes it a new session.
    const sessionId = options.sessionId ?? globalThis.crypto.randomUUID();
    const call: HttpCall = {
      method: 'POST',
      path: this.#invocationsPath,
      accept: 'text/event-stream',
      body: {
        messages: [{ role: 'user', content: query }],
        stream: true,
        session_id: sessionId,
        ...(options.temperature !== undefined && { temperature: options.temperature }),
        ...(options.maxTokens !== undefined && { max_tokens: options.maxTokens }),
      },
    };
    const { response, explain, close } = await this.#transport.open(call, callOptions(options));
    if (response.body === null) {
      close();
      throw new RagConnectionError('The server sent no body for a streamed answer.');
    }
    let text = '';
    try {
      for await (const data of serverSentData(response.body)) {
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data) as ChatChunk;
        if (chunk.error) {
          const code = chunk.error.code ?? 'INTERNAL_ERROR';
          throw new RagApiError(chunk.error.message ?? 'The stream failed.', statusOfErrorCode(code), code);
        }
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content ?? '';
        if (delta !== '') {
          text += delta;
          yield { type: 'text', text: delta };
          // Text already received must not outlive an abort made while the caller handled this event.
          options.abortSignal?.throwIfAborted();
        }
        if (choice?.finish_reason) {
          yield {
            type: 'done',
            finishReason: choice.finish_reason,
            prediction: {
              response: text,
              session_id: chunk.session_id ?? sessionId,
              sources: chunk.sources ?? [],
              usage: {
                input_tokens: chunk.usage?.prompt_tokens ?? 0,
                output_tokens: chunk.usage?.completion_tokens ?? 0,
              },
              guardrail: chunk.guardrail ?? { action: 'NONE' },
            },
          };
        }
      }
      throw new RagConnectionError('The stream ended before its last event.');
    } catch (error) {
      throw explain(error);
    } finally {
      close();
    }
  }

  /** Rates the answers of a session: `up` (helpful) or `down`. Only the session's owner may. */
  feedback(
    sessionId: string,
    rating: 'up' | 'down',
    options: FeedbackOptions = {},
  ): Promise<FeedbackReceipt> {
    return this.#transport.json<FeedbackReceipt>(
      {
        method: 'POST',
        path: '/feedback',
        body: {
          session_id: sessionId,
          rating: rating === 'up' ? 1 : -1,
          ...(options.comment !== undefined && { comment: options.comment }),
        },
      },
      callOptions(options),
    );
  }
}
