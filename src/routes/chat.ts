import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { RequestDeadline, withDeadline } from '../core/deadline.js';
import { ServingError } from '../core/errors.js';
import type { Answer, AnswerEvent, AnswerRequest, RagPipeline } from '../core/pipeline.js';
import type { ChatRequest } from '../core/protocol/chat-request.js';
import {
  chatCompletion,
  contentChunk,
  finalChunk,
  roleChunk,
  toOpenAiErrorBody,
  type CompletionIdentity,
} from '../core/protocol/chat-response.js';
import type { Principal } from '../auth/principal.js';
import { EVENT_STREAM_HEADERS, serverSentEvents } from '../http/server-sent-events.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { logServerError } from '../http/serving-errors.js';
import type { ServingMetrics } from '../observability/serving-metrics.js';
import type { QuotaEnforcer } from '../core/quota.js';
import type { ChatBudgets } from './request-budget.js';

export interface ChatAnswerOptions {
  readonly pipeline: RagPipeline;
  readonly endpointName: string;
  readonly metrics: ServingMetrics;
  /** Failures after the stream started can only be told in the stream; they are logged here. */
  readonly logger?: Pick<Logger, 'warn' | 'error'>;
  /** Charged with each answer's tokens (admission is the route's, before parsing). */
  readonly quota?: Pick<QuotaEnforcer, 'charge'>;
}

/**
 * Answers a chat request as OpenAI does: one `chat.completion`, or with `stream` a series of
 * `chat.completion.chunk` server-sent events ending with `[DONE]`, the sources in the last chunk.
 */
export async function answerChat(
  options: ChatAnswerOptions,
  chat: ChatRequest,
  principal: Principal,
  budgets: ChatBudgets,
): Promise<HttpResponse> {
  const identity: CompletionIdentity = {
    id: `chatcmpl-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: options.endpointName,
  };
  const request = (abortSignal: AbortSignal): AnswerRequest => ({
    query: chat.query,
    ...(chat.sessionId !== undefined && { sessionId: chat.sessionId }),
    ...(chat.history !== undefined && { history: chat.history }),
    principal: principal.id,
    params: chat.params,
    ...(principal.namespace !== undefined && { namespace: principal.namespace }),
    abortSignal,
  });

  if (!chat.stream) {
    const answer = await withDeadline(budgets.requestMs, (signal) =>
      options.pipeline.answer(request(signal)),
    );
    options.metrics.recordAnswer(answer);
    await options.quota?.charge(principal.id, answer.usage);
    return jsonResponse(200, chatCompletion(identity, answer));
  }

  // One deadline spans the whole stream, not only its setup; the setup has a shorter one of its own.
  const deadline = new RequestDeadline(budgets.stream.totalMs);
  let events: AsyncIterable<AnswerEvent>;
  try {
    ({ events } = await deadline.run(
      options.pipeline.answerStream(request(deadline.signal)),
      budgets.stream.firstByteMs,
    ));
  } catch (error) {
    deadline.close();
    throw error;
  }
  return {
    statusCode: 200,
    headers: { ...EVENT_STREAM_HEADERS },
    body: serverSentEvents(
      chunks(identity, events, async (answer) => {
        options.metrics.recordAnswer(answer);
        // Before the last chunk, so the charge is made while the response (and the Lambda) runs.
        await options.quota?.charge(principal.id, answer.usage);
      }),
      {
        doneMarker: '[DONE]',
        errorEvent: (error) => streamError(deadline.explain(error), options.logger),
        onClose: () => deadline.close(),
      },
    ),
  };
}

async function* chunks(
  identity: CompletionIdentity,
  events: AsyncIterable<AnswerEvent>,
  onAnswer: (answer: Answer) => Promise<void>,
): AsyncGenerator<unknown> {
  yield roleChunk(identity);
  for await (const event of events) {
    if (event.type === 'text') {
      yield contentChunk(identity, event.text);
    } else {
      await onAnswer(event.answer);
      yield finalChunk(identity, event.answer);
    }
  }
}

/** The last event of a failed stream, in OpenAI's error shape (its SDK raises it as an APIError). */
function streamError(error: unknown, logger: ChatAnswerOptions['logger']): unknown {
  if (error instanceof ServingError) {
    if (error.status >= 500 && logger) logServerError(logger, 'stream failed', error);
    return toOpenAiErrorBody(error);
  }
  logger?.error('unexpected stream failure', error as Error);
  return toOpenAiErrorBody({
    status: 500,
    errorCode: 'INTERNAL_ERROR',
    message: 'An internal error occurred; it has been logged.',
  });
}
