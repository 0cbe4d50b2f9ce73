/**
 * The Amazon Redshift Lambda UDF protocol. Redshift invokes the function with a batch of rows and
 * expects a JSON *string* back: `{"success": true, "num_records": n, "results": [...]}` with one
 * result per row in the same order (JSON null is SQL NULL), or `{"success": false, "error_msg"}`,
 * which fails the whole SQL statement.
 */

/** One argument value as Redshift sends it: VARCHAR as a string, NULL as null. */
export type UdfArgument = string | number | boolean | null;

export interface RedshiftUdfEvent {
  readonly request_id: string;
  /** The cluster's (or workgroup's) ARN. */
  readonly cluster: string;
  /** The database user running the SQL statement. */
  readonly user: string;
  readonly database: string;
  /** The SQL name of the function, e.g. `public.ask_rag`. */
  readonly external_function: string;
  readonly query_id: number;
  readonly num_records: number;
  /** One array of argument values per row; Redshift may send a whole row as null. */
  readonly arguments: readonly (readonly UdfArgument[] | null)[];
}

/** What one row yields: SQL NULL or a VARCHAR. */
export type UdfResult = string | null;

/** An invocation that cannot be answered row by row fails the statement with this message. */
export class UdfEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The event's rows and caller, checked; anything else of the event is not needed to answer. */
export function readUdfEvent(event: unknown): Pick<RedshiftUdfEvent, 'user' | 'arguments'> & {
  readonly requestId?: string;
  readonly queryId?: number;
} {
  if (typeof event !== 'object' || event === null) {
    throw new UdfEventError('The event is not a Redshift Lambda UDF payload (expected a JSON object).');
  }
  const {
    user,
    arguments: rows,
    request_id: requestId,
    query_id: queryId,
  } = event as Partial<RedshiftUdfEvent>;
  if (typeof user !== 'string' || user.trim() === '') {
    throw new UdfEventError(
      "The event names no Redshift user ('user'): it is needed as the principal of each turn.",
    );
  }
  if (!Array.isArray(rows) || !rows.every((row) => row === null || Array.isArray(row))) {
    throw new UdfEventError("The event has no 'arguments' list of rows.");
  }
  return {
    user,
    arguments: rows,
    ...(typeof requestId === 'string' && { requestId }),
    ...(typeof queryId === 'number' && { queryId }),
  };
}

export const udfSuccess = (results: readonly UdfResult[]): string =>
  JSON.stringify({ success: true, num_records: results.length, results });

export const udfFailure = (errorMessage: string): string =>
  JSON.stringify({ success: false, error_msg: errorMessage });
