import pLimit from 'p-limit';
import { withDeadline } from '../core/deadline.js';
import { BadRequestError, ServingError } from '../core/errors.js';
import type { RagPipeline } from '../core/pipeline.js';
import { defaultParams, type RequestParams } from '../core/protocol/params.js';
import {
  isPlainObject,
  validateQuery,
  validateSessionId,
  type InvocationRecord,
} from '../core/protocol/records.js';
import { toErrorBody, toWirePrediction } from '../core/protocol/response.js';

export interface AnswerLinesOptions {
  readonly pipeline: Pick<RagPipeline, 'answer'>;
  /** Who asks: sessions the file starts belong to this principal. */
  readonly principal: string;
  /** Retrieval partition; absent means the default namespace. */
  readonly namespace?: string;
  /** @default defaultParams (top_k 5, no trace) */
  readonly params?: RequestParams;
  /** Lines answered at once. */
  readonly concurrency: number;
  /** Time budget of one line, as of one request. */
  readonly lineTimeoutMs: number;
  /** Number of the first line, for messages (a part of a larger file starts later). @default 1 */
  readonly firstLineNumber?: number;
  /** Told about each line as its output is produced, in order. */
  readonly onLine?: (outcome: LineOutcome) => void;
  /** Told about failures that are not the line's fault (answered as INTERNAL_ERROR), for the logs. */
  readonly onInternalError?: (lineNumber: number, error: unknown) => void;
  readonly abortSignal?: AbortSignal;
}

export interface LineOutcome {
  readonly lineNumber: number;
  readonly ok: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * Answers a JSON Lines file of records (`query`, optional `session_id`) through the serving
 * pipeline, one output line per input line, in order: the prediction as `predictions[i]` of an
 * invocation would carry it, or the error (`error_code`, `message`) of that line alone. Lines of
 * one session are answered in file order so that follow-ups see their history; other lines run
 * concurrently. At most twice `concurrency` lines are held, however long the file.
 */
export async function* answerLines(
  lines: AsyncIterable<string>,
  options: AnswerLinesOptions,
): AsyncGenerator<string> {
  const limit = pLimit(Math.max(1, options.concurrency));
  const window: Promise<{ text: string; outcome: LineOutcome }>[] = [];
  const sessionTails = new Map<string, Promise<unknown>>();
  let lineNumber = (options.firstLineNumber ?? 1) - 1;

  const release = async () => {
    const done = await (window.shift() as Promise<{ text: string; outcome: LineOutcome }>);
    options.onLine?.(done.outcome);
    return done.text;
  };

  for await (const line of lines) {
    options.abortSignal?.throwIfAborted();
    lineNumber++;
    const where = `line ${lineNumber}`;
    let record: InvocationRecord;
    try {
      record = parseLine(line, where);
    } catch (error) {
      window.push(Promise.resolve(failure(lineNumber, error)));
      if (window.length >= options.concurrency * 2) yield await release();
      continue;
    }
    const number = lineNumber;
    // Same session: wait for the previous line of it, so its turn is stored first.
    const previous = record.sessionId === undefined ? undefined : sessionTails.get(record.sessionId);
    const answered = (previous ?? Promise.resolve()).then(() =>
      limit(() => answerOne(record, number, options)),
    );
    if (record.sessionId !== undefined) {
      const tail = answered.catch(() => undefined);
      sessionTails.set(record.sessionId, tail);
      void tail.then(() => {
        if (sessionTails.get(record.sessionId as string) === tail)
          sessionTails.delete(record.sessionId as string);
      });
    }
    window.push(answered);
    if (window.length >= options.concurrency * 2) yield await release();
  }
  while (window.length > 0) yield await release();
}

function parseLine(line: string, where: string): InvocationRecord {
  const text = line.replace(/\r$/, '');
  if (text.trim() === '')
    throw new BadRequestError(`${where} is empty: every line must be a JSON object with a 'query'.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError(`${where} is not valid JSON.`);
  }
  if (!isPlainObject(value))
    throw new BadRequestError(`${where} must be a JSON object with a 'query' field.`);
  const query = validateQuery(where, value.query);
  const sessionId = validateSessionId(where, value.session_id);
  return sessionId === undefined ? { query } : { query, sessionId };
}

async function answerOne(
  record: InvocationRecord,
  lineNumber: number,
  options: AnswerLinesOptions,
): Promise<{ text: string; outcome: LineOutcome }> {
  try {
    const answer = await withDeadline(
      options.lineTimeoutMs,
      (signal) =>
        options.pipeline.answer({
          query: record.query,
          ...(record.sessionId !== undefined && { sessionId: record.sessionId }),
          principal: options.principal,
          params: options.params ?? defaultParams,
          ...(options.namespace !== undefined && { namespace: options.namespace }),
          abortSignal: signal,
        }),
      options.abortSignal,
    );
    return {
      text: JSON.stringify(toWirePrediction(answer, options.params?.returnTrace ?? false)),
      outcome: {
        lineNumber,
        ok: true,
        inputTokens: answer.usage.inputTokens,
        outputTokens: answer.usage.outputTokens,
      },
    };
  } catch (error) {
    options.abortSignal?.throwIfAborted();
    if (!(error instanceof ServingError)) options.onInternalError?.(lineNumber, error);
    return failure(lineNumber, error);
  }
}

/** The line's error as the API would answer it; anything unexpected is an unexposed internal error. */
function failure(lineNumber: number, error: unknown): { text: string; outcome: LineOutcome } {
  const body =
    error instanceof ServingError
      ? toErrorBody(error)
      : {
          error_code: 'INTERNAL_ERROR',
          message: `Line ${lineNumber} could not be answered because of an internal error.`,
        };
  return { text: JSON.stringify(body), outcome: { lineNumber, ok: false, inputTokens: 0, outputTokens: 0 } };
}
