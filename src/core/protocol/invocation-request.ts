import { BadRequestError } from '../errors.js';
import { parseParams, type RequestParams } from './params.js';
import {
  INPUT_FORMATS,
  parseRecords,
  type InputFormat,
  type InvocationRecord,
  type RecordFormat,
} from './records.js';

/** Top-level keys Databricks clients may send beside the input format; accepted and ignored. */
const IGNORED_KEYS = new Set(['client_request_id', 'usage_context', 'dataframe_split_orient']);
const CHAT_KEYS = new Set([
  'stream',
  'max_tokens',
  'temperature',
  'session_id',
  'model',
  'n',
  'stop',
  'top_p',
  'user',
]);

export interface RecordsInvocation {
  readonly kind: 'records';
  readonly format: RecordFormat;
  readonly records: readonly InvocationRecord[];
  readonly params: RequestParams;
}

export interface ChatInvocation {
  readonly kind: 'chat';
  readonly body: Record<string, unknown>;
}

export type Invocation = RecordsInvocation | ChatInvocation;

/** Finds the one input format of an invocations body, then validates its records and params. */
export function parseInvocation(body: Record<string, unknown>): Invocation {
  const formats = INPUT_FORMATS.filter((format) => format in body);
  if (formats.length === 0) {
    throw new BadRequestError(
      `The body must carry exactly one input format: ${INPUT_FORMATS.join(', ')}; found none.`,
    );
  }
  if (formats.length > 1) {
    throw new BadRequestError(
      `The body must carry exactly one input format; found ${formats.join(' and ')}.`,
    );
  }
  const format = formats[0] as InputFormat;
  if (format === 'messages') return { kind: 'chat', body };
  const unknown = Object.keys(body).filter(
    (key) => key !== format && key !== 'params' && !IGNORED_KEYS.has(key),
  );
  if (unknown.length > 0) {
    const hint = unknown.some((key) => CHAT_KEYS.has(key)) ? ` (chat fields belong with 'messages')` : '';
    throw new BadRequestError(
      `Unknown top-level field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}${hint}.`,
    );
  }
  const params = parseParams(body.params);
  return { kind: 'records', format, records: parseRecords(format, body[format]), params };
}
