import { BadRequestError, InvalidParameterError } from '../errors.js';
import type { Turn } from '../ports/types.js';
import { Defaults, Limits } from '../../shared/limits.js';
import type { RequestParams } from './params.js';
import { isPlainObject, validateQuery, validateSessionId } from './records.js';

/** A chat-style request (`messages`), from the invocations route or the OpenAI-compatible route. */
export interface ChatRequest {
  /** The last user message: the question to answer. */
  readonly query: string;
  /** A stored session to continue; absent with `history` set means the messages carry the history. */
  readonly sessionId?: string;
  /** Earlier user/assistant exchanges taken from the messages; set only when there is no session. */
  readonly history?: readonly Turn[];
  readonly stream: boolean;
  /** The OpenAI `model`; on the OpenAI-compatible route it names the endpoint. */
  readonly model?: string;
  readonly params: RequestParams;
}

export interface ChatParseOptions {
  /** The OpenAI-compatible route names the endpoint in `model`, so it is required there. */
  readonly requireModel: boolean;
  /** The `x-session-id` header, used when the body has no `session_id`. */
  readonly headerSessionId?: string;
}

/** Fields of OpenAI's chat request that change nothing here; accepted so unchanged clients work. */
const IGNORED_FIELDS = new Set([
  'user',
  'top_p',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'metadata',
  'store',
  'stream_options',
  'service_tier',
]);
const FIELDS = new Set([
  'messages',
  'model',
  'stream',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'session_id',
  'n',
  ...IGNORED_FIELDS,
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

interface Message {
  readonly role: string;
  readonly content: string;
}

/** Validates a chat body; the last message must be the user's question. */
export function parseChatRequest(body: Record<string, unknown>, options: ChatParseOptions): ChatRequest {
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw new BadRequestError(
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} in a chat request.`,
    );
  }
  const model = optionalString(body, 'model');
  if (options.requireModel && model === undefined) {
    throw new InvalidParameterError(`'model' is required: name the serving endpoint, e.g. "rag".`);
  }
  const messages = parseMessages(body.messages);
  const last = messages.at(-1);
  if (last?.role !== 'user') {
    throw new InvalidParameterError(`The last message must have role 'user': it is the question to answer.`);
  }
  const query = validateQuery(`messages[${messages.length - 1}]`, last.content);
  const sessionId =
    validateSessionId('session_id', body.session_id) ??
    validateSessionId('x-session-id header', options.headerSessionId);
  if (body.n !== undefined && body.n !== 1) {
    throw new InvalidParameterError(`'n' must be 1: one answer is generated per request.`);
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw new InvalidParameterError(`'stream' must be a boolean.`);
  }
  const temperature = optionalNumber(body, 'temperature', 0, 1);
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens', 1, Limits.maxTokens, true) ??
    optionalNumber(body, 'max_tokens', 1, Limits.maxTokens, true);
  const params: RequestParams = {
    topK: Defaults.topK,
    returnTrace: false,
    ...(temperature !== undefined && { temperature }),
    ...(maxTokens !== undefined && { maxTokens }),
  };
  return {
    query,
    ...(sessionId !== undefined ? { sessionId } : { history: historyOf(messages.slice(0, -1)) }),
    stream: body.stream === true,
    ...(model !== undefined && { model }),
    params,
  };
}

function parseMessages(value: unknown): Message[] {
  if (!Array.isArray(value)) throw new BadRequestError(`'messages' must be a list of messages.`);
  if (value.length === 0) throw new InvalidParameterError(`'messages' must hold at least one message.`);
  if (value.length > Limits.maxRecords) {
    throw new InvalidParameterError(
      `'messages' holds ${value.length} messages; the limit is ${Limits.maxRecords}.`,
    );
  }
  return value.map((message, i) => {
    if (!isPlainObject(message)) {
      throw new BadRequestError(`'messages[${i}]' must be an object with 'role' and 'content'.`);
    }
    const { role, content } = message;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidParameterError(
        `messages[${i}].role must be one of ${[...ROLES].join(', ')}; got ${JSON.stringify(role)}.`,
      );
    }
    return { role, content: contentText(i, content) };
  });
}

/** A message's text: a string, or OpenAI content parts of type `text`. */
function contentText(i: number, content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) {
    throw new InvalidParameterError(`messages[${i}].content must be a string or a list of text parts.`);
  }
  return content
    .map((part, j) => {
      if (isPlainObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw new InvalidParameterError(`messages[${i}].content[${j}] must be a part of type 'text'.`);
    })
    .join('');
}

/**
 * Earlier exchanges as turns, oldest first. System and developer messages are left out: this
 * endpoint's instructions are its own. A question without a reply still counts as a turn.
 */
function historyOf(messages: readonly Message[]): Turn[] {
  const turns: { query: string; response: string }[] = [];
  for (const { role, content } of messages) {
    if (role === 'user') turns.push({ query: content, response: '' });
    else if (role === 'assistant') {
      const previous = turns.at(-1);
      if (previous) previous.response = previous.response ? `${previous.response}\n${content}` : content;
    }
  }
  return turns.map((turn) => ({ sessionId: '', ...turn, sources: [], createdAt: 0 }));
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidParameterError(`'${field}' must be a non-empty string.`);
  }
  return value;
}

function optionalNumber(
  body: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new InvalidParameterError(`'${field}' must be ${integer ? 'an integer' : 'a number'}.`);
  }
  if (value < min) throw new InvalidParameterError(`'${field}' must be at least ${min}.`);
  if (value > max) throw new InvalidParameterError(`'${field}' must be at most ${max}.`);
  return value;
}
