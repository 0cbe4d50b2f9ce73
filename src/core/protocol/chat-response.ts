import type { Answer } from '../pipeline.js';
import type { ServingError } from '../errors.js';
import { toWirePrediction } from './response.js';

/** Identifies one completion across its chunks, as OpenAI's `id`, `created` and `model` do. */
export interface CompletionIdentity {
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly model: string;
}

type FinishReason = 'stop' | 'content_filter';

/** A guardrail block replaced the answer, or a guardrail cut the stream: OpenAI calls that `content_filter`. */
function finishReason(answer: Answer): FinishReason {
  const blocked = answer.guardrail.assessments?.some((a) => a.action === 'BLOCKED') ?? false;
  return blocked || answer.stoppedByGuardrail ? 'content_filter' : 'stop';
}

function usageOf(answer: Answer) {
  const { inputTokens, outputTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

/** What a chat answer carries beyond OpenAI's fields: sources, session and guardrail, as predictions show them. */
function extras(answer: Answer) {
  const { session_id, sources, guardrail } = toWirePrediction(answer, false);
  return { ...(session_id !== undefined && { session_id }), sources, guardrail };
}

/** OpenAI `chat.completion`, with the sources as an extra field. */
export function chatCompletion(identity: CompletionIdentity, answer: Answer) {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.response },
        finish_reason: finishReason(answer),
        logprobs: null,
      },
    ],
    usage: usageOf(answer),
    ...extras(answer),
  };
}

function chunk(identity: CompletionIdentity, delta: Record<string, string>, finish: FinishReason | null) {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

/** The first chunk: the role, as OpenAI sends it before any content. */
export function roleChunk(identity: CompletionIdentity) {
  return chunk(identity, { role: 'assistant', content: '' }, null);
}

export function contentChunk(identity: CompletionIdentity, text: string) {
  return chunk(identity, { content: text }, null);
}

/** The last chunk: finish reason, usage, and the sources of the whole answer. */
export function finalChunk(identity: CompletionIdentity, answer: Answer) {
  return { ...chunk(identity, {}, finishReason(answer)), usage: usageOf(answer), ...extras(answer) };
}

/** OpenAI's error `type` for an HTTP status. */
function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status === 503) return 'service_unavailable_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** An error in OpenAI's shape; `code` is the Databricks error code, so both routes name failures alike. */
export function toOpenAiErrorBody(error: Pick<ServingError, 'status' | 'errorCode' | 'message'>) {
  return { error: { message: error.message, type: openAiErrorType(error.status), code: error.errorCode } };
}
