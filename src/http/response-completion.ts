import { Readable } from 'node:stream';
import type { MiddlewareObj, Request } from '@middy/core';
import type { HttpResponse, ProxyEvent } from './types.js';

/**
 * When a response is really over. middy runs the `after` middlewares when the route returns, which
 * for a streamed body is before its first byte is sent (DESIGN 5 and 7). A middleware that must
 * see the whole response (latency to the last byte, a failure after the headers, tokens counted at
 * the end of an answer) registers a listener with `onResponseComplete`; `responseCompletion()`
 * calls the listeners once the response is complete: at once for a body sent whole, from the
 * stream itself when its last byte is written or it fails, still inside the invocation.
 */

/** How a response ended, as every completion listener sees it. */
export interface ResponseOutcome {
  /** The status sent with the headers. */
  readonly statusCode: number;
  /** The body was streamed rather than sent whole. */
  readonly streamed: boolean;
  /** Epoch ms when the route returned, i.e. when the headers were sent. */
  readonly headersAt: number;
  /**
   * What failed: the error thrown before the headers (which decided the status), or the stream's
   * failure after them. @default - nothing failed
   */
  readonly error?: unknown;
  /** The stream failed after its headers: a server error, whatever the status line said. */
  readonly failedAfterHeaders: boolean;
  /** The caller went away before the last byte. */
  readonly abandoned: boolean;
}

export type CompletionListener = (outcome: ResponseOutcome) => void | Promise<void>;

const LISTENERS = Symbol('responseCompletionListeners');
type CompletionRequest = Request<ProxyEvent, HttpResponse> & { internal: Record<PropertyKey, unknown> };

/**
 * Registers `listener` to run once the response of `request` is complete. Listeners run in the
 * reverse order of registration, as middy's `after` middlewares do, so a middleware used earlier
 * (publishing metrics) runs after the ones used later (recording them).
 * @throws Error when `responseCompletion()` is not the first middleware of the handler.
 */
export function onResponseComplete(
  request: Request<ProxyEvent, HttpResponse>,
  listener: CompletionListener,
): void {
  const listeners = (request as CompletionRequest).internal[LISTENERS] as CompletionListener[] | undefined;
  if (!listeners) {
    throw new Error('onResponseComplete needs responseCompletion() as the first middleware of the handler');
  }
  listeners.unshift(listener);
}

/** A stream that failed after its headers; the body itself ends normally (with an error event). */
const streamFailures = new WeakMap<Readable, { error: unknown }>();

/**
 * Marks a streamed body as failed after its headers: a body that tells its failure in-band (a last
 * server-sent event) ends normally, so it reports the failure here for the completion listeners.
 */
export function reportStreamFailure(body: Readable, error: unknown): void {
  if (!streamFailures.has(body)) streamFailures.set(body, { error });
}

async function notify(listeners: readonly CompletionListener[], outcome: ResponseOutcome): Promise<void> {
  for (const listener of listeners) await listener(outcome);
}

/**
 * The body, relayed byte for byte, calling `finish` after its last chunk has been handed on (or
 * when it failed, or the caller went away) and before the relayed stream ends, so that whatever
 * `finish` does happens within the invocation.
 */
function completingBody(body: Readable, finish: (end: StreamEnd) => Promise<void>): Readable {
  let abandoned = false;
  let finished = false;
  async function* relay(): AsyncGenerator<unknown> {
    let thrown: { error: unknown } | undefined;
    try {
      for await (const chunk of body) yield chunk;
    } catch (error) {
      // Destroyed because the caller went away: that is the end, not a failure of the body.
      if (!abandoned) {
        thrown = { error };
        throw error;
      }
    } finally {
      finished = true;
      await finish({ failure: thrown ?? streamFailures.get(body), abandoned });
    }
  }
  const relayed = Readable.from(relay(), { objectMode: false });
  // A caller that hangs up destroys the relayed stream; the body must stop too (and its backends).
  relayed.once('close', () => {
    if (finished) return;
    abandoned = true;
    body.destroy();
  });
  return relayed;
}

interface StreamEnd {
  readonly failure?: { readonly error: unknown };
  readonly abandoned: boolean;
}

/**
 * Runs the completion listeners of each request once its response is complete. It must be the
 * first middleware used, so that its `after` and `onError` run last, on the final response.
 */
export function responseCompletion(): MiddlewareObj<ProxyEvent, HttpResponse> {
  const complete = async (request: Request<ProxyEvent, HttpResponse>) => {
    const listeners = ((request as CompletionRequest).internal[LISTENERS] ?? []) as CompletionListener[];
    const response = request.response;
    const statusCode = response?.statusCode ?? 500;
    const headersAt = Date.now();
    const thrown = request.error === undefined || request.error === null ? {} : { error: request.error };
    if (response && response.body instanceof Readable) {
      response.body = completingBody(response.body, ({ failure, abandoned }) =>
        notify(listeners, {
          statusCode,
          streamed: true,
          headersAt,
          ...thrown,
          ...(failure && { error: failure.error }),
          failedAfterHeaders: failure !== undefined,
          abandoned: abandoned && failure === undefined,
        }),
      );
      return;
    }
    await notify(listeners, {
      statusCode,
      streamed: false,
      headersAt,
      ...thrown,
      failedAfterHeaders: false,
      abandoned: false,
    });
  };
  return {
    name: 'responseCompletion',
    before: (request) => {
      (request as CompletionRequest).internal[LISTENERS] = [];
    },
    after: complete,
    onError: complete,
  };
}
