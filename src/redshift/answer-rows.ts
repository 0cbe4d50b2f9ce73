import pLimit from 'p-limit';
import { withDeadline } from '../core/deadline.js';
import { DeadlineExceededError, InvalidParameterError, ServingError } from '../core/errors.js';
import type { RagPipeline } from '../core/pipeline.js';
import { defaultParams } from '../core/protocol/params.js';
import { validateQuery, validateSessionId } from '../core/protocol/records.js';
import { toErrorBody, toWirePrediction, type WirePrediction } from '../core/protocol/response.js';
import type { QuotaEnforcer } from '../core/quota.js';
import type { UdfArgument, UdfResult } from './udf-protocol.js';

/** The SQL signature: `ask_rag(query VARCHAR, session_id VARCHAR)`. */
const ARITY = 2;
/** Where validation messages say the value came from. */
const WHERE = 'ask_rag';
/** The longest VARCHAR Redshift stores (VARCHAR(MAX)), in bytes. */
export const REDSHIFT_VARCHAR_MAX_BYTES = 65_535;

export interface AnswerRowsOptions {
  readonly pipeline: Pick<RagPipeline, 'answer'>;
  /** Admits each non-NULL row as one request of the principal, and charges its tokens. */
  readonly quota?: Pick<QuotaEnforcer, 'admit' | 'charge'>;
  /** The principal every turn of this batch belongs to. */
  readonly principal: string;
  /** Rows answered at once. */
  readonly concurrency: number;
  /** Time budget of one row. */
  readonly rowTimeoutMs: number;
  /** Epoch ms by which every row must be done (the Lambda's time, less a margin to answer). */
  readonly deadlineAt: number;
  readonly now?: () => number;
  /** Told of a failure that is not a ServingError (a bug): the row answers INTERNAL_ERROR. */
  readonly onUnexpectedError?: (error: unknown) => void;
}

/** What became of one row. */
export type RowOutcome =
  | { readonly kind: 'null' }
  | { readonly kind: 'answered'; readonly result: string }
  | { readonly kind: 'failed'; readonly error: ServingError };

const internalError = () =>
  new ServingError('An internal error occurred; it has been logged.', 'INTERNAL_ERROR', 500);

/**
 * The prediction as one VARCHAR. Should it not fit VARCHAR(MAX), the sources lose their passage
 * text (ids, names and scores stay), which is what a SQL user can least do without.
 */
export function predictionVarchar(prediction: WirePrediction): string {
  const full = JSON.stringify(prediction);
  if (Buffer.byteLength(full) <= REDSHIFT_VARCHAR_MAX_BYTES) return full;
  return JSON.stringify({
    ...prediction,
    sources: prediction.sources.map((source) => ({ ...source, text: '' })),
  });
}

/** A failed row's result: the Databricks error object, as the HTTP API would answer it. */
export const errorVarchar = (error: ServingError): string => JSON.stringify(toErrorBody(error));

/**
 * Answers each row through the pipeline, at most `concurrency` at a time, keeping their order. A
 * NULL query gives NULL; a row that fails gives its error, not a failed batch. Rows that would
 * start after the deadline fail with DEADLINE_EXCEEDED at once, so the batch always returns
 * before the Lambda is stopped.
 */
export async function answerRows(
  rows: readonly (readonly UdfArgument[] | null)[],
  options: AnswerRowsOptions,
): Promise<RowOutcome[]> {
  const now = options.now ?? Date.now;
  const limit = pLimit(options.concurrency);

  const answerRow = async (row: readonly UdfArgument[]): Promise<string> => {
    if (row.length !== ARITY) {
      throw new InvalidParameterError(
        `${WHERE} takes ${ARITY} arguments (query, session_id), got ${row.length}: register it as ask_rag(VARCHAR, VARCHAR).`,
      );
    }
    const query = validateQuery(WHERE, row[0]);
    const sessionId = validateSessionId(WHERE, row[1]);
    const left = options.deadlineAt - now();
    if (left <= 0) throw new DeadlineExceededError(options.rowTimeoutMs);
    await options.quota?.admit(options.principal);
    const answer = await withDeadline(Math.min(options.rowTimeoutMs, left), (abortSignal) =>
      options.pipeline.answer({
        query,
        ...(sessionId !== undefined && { sessionId }),
        principal: options.principal,
        params: defaultParams,
        abortSignal,
      }),
    );
    await options.quota?.charge(options.principal, answer.usage);
    return predictionVarchar(toWirePrediction(answer, false));
  };

  return Promise.all(
    rows.map((row) => {
      if (row === null || row[0] === null || row[0] === undefined) return { kind: 'null' } as const;
      return limit(async (): Promise<RowOutcome> => {
        try {
          return { kind: 'answered', result: await answerRow(row) };
        } catch (error) {
          if (error instanceof ServingError) return { kind: 'failed', error };
          options.onUnexpectedError?.(error);
          return { kind: 'failed', error: internalError() };
        }
      });
    }),
  );
}

/**
 * The batch's results, or, when every row failed for one and the same cause (a backend down, the
 * quota spent, the function registered with the wrong arguments), that cause as the statement's
 * error: one clear message instead of a column of identical error objects.
 */
export function batchResults(
  outcomes: readonly RowOutcome[],
):
  | { readonly ok: true; readonly results: UdfResult[] }
  | { readonly ok: false; readonly errorMessage: string } {
  const causes = new Set(
    outcomes.map((outcome) =>
      outcome.kind === 'failed' ? `${outcome.error.errorCode}: ${outcome.error.message}` : undefined,
    ),
  );
  const [onlyCause] = causes;
  if (outcomes.length > 0 && causes.size === 1 && onlyCause !== undefined)
    return { ok: false, errorMessage: onlyCause };
  return {
    ok: true,
    results: outcomes.map((outcome) => {
      if (outcome.kind === 'null') return null;
      return outcome.kind === 'answered' ? outcome.result : errorVarchar(outcome.error);
    }),
  };
}
