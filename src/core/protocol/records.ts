import { BadRequestError, InvalidParameterError } from '../errors.js';
import { Limits } from '../../shared/limits.js';

/** One question to answer, as taken from any of the MLflow input formats. */
export interface InvocationRecord {
  readonly query: string;
  readonly sessionId?: string;
}

export const INPUT_FORMATS = [
  'dataframe_records',
  'dataframe_split',
  'instances',
  'inputs',
  'messages',
] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export type RecordFormat = Exclude<InputFormat, 'messages'>;

type Row = Record<string, unknown>;

export const isPlainObject = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Rows of `dataframe_records`, `instances` or list-form `inputs`; a bare string is a query. */
function rowsFromList(format: string, value: unknown): Row[] {
  if (!Array.isArray(value)) throw new BadRequestError(`'${format}' must be a list of records.`);
  return value.map((item, i) => {
    if (typeof item === 'string') return { query: item };
    if (!isPlainObject(item))
      throw new BadRequestError(`'${format}[${i}]' must be an object with a 'query' field.`);
    return item;
  });
}

function rowsFromSplit(value: unknown): Row[] {
  if (!isPlainObject(value))
    throw new BadRequestError(`'dataframe_split' must be an object with 'columns' and 'data'.`);
  const { columns, data } = value;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new BadRequestError(`'dataframe_split.columns' must be a list of column names.`);
  }
  if (!Array.isArray(data)) throw new BadRequestError(`'dataframe_split.data' must be a list of rows.`);
  return data.map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new BadRequestError(
        `'dataframe_split.data[${i}]' must be a list of ${columns.length} values, one per column.`,
      );
    }
    return Object.fromEntries(columns.map((c, j) => [c, row[j]]));
  });
}

/** Columnar `inputs`: `{"query": [...], "session_id": [...]}` with lists of equal length. */
function rowsFromColumns(value: Row): Row[] {
  const columns = Object.entries(value).map(([name, column]) => {
    if (!Array.isArray(column))
      throw new BadRequestError(`'inputs.${name}' must be a list when 'inputs' is columnar.`);
    return [name, column as unknown[]] as const;
  });
  const lengths = new Set(columns.map(([, column]) => column.length));
  if (lengths.size > 1)
    throw new BadRequestError(`The lists in columnar 'inputs' must all have the same length.`);
  const length = columns[0]?.[1].length ?? 0;
  return Array.from({ length }, (_, i) =>
    Object.fromEntries(columns.map(([name, column]) => [name, column[i]])),
  );
}

function rowsOf(format: RecordFormat, value: unknown): Row[] {
  switch (format) {
    case 'dataframe_split':
      return rowsFromSplit(value);
    case 'inputs':
      return isPlainObject(value) ? rowsFromColumns(value) : rowsFromList(format, value);
    default:
      return rowsFromList(format, value);
  }
}

const typeName = (value: unknown): string =>
  Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value;

/** Validates a `query`; `where` names it in messages, e.g. `dataframe_records record 2`. */
export function validateQuery(where: string, query: unknown): string {
  if (query === undefined || query === null)
    throw new InvalidParameterError(`${where} is missing the required field 'query'.`);
  if (typeof query !== 'string')
    throw new InvalidParameterError(`${where}: 'query' must be a string, got ${typeName(query)}.`);
  if (query.trim() === '') throw new InvalidParameterError(`${where}: 'query' must not be empty.`);
  if (query.length > Limits.maxQueryChars) {
    throw new InvalidParameterError(
      `${where}: 'query' has ${query.length} characters; the limit is ${Limits.maxQueryChars}.`,
    );
  }
  return query;
}

/** Validates an optional `session_id`; returns undefined when absent. */
export function validateSessionId(where: string, sessionId: unknown): string | undefined {
  if (sessionId === undefined || sessionId === null) return undefined;
  if (typeof sessionId !== 'string') {
    throw new InvalidParameterError(`${where}: 'session_id' must be a string, got ${typeName(sessionId)}.`);
  }
  if (
    sessionId.length === 0 ||
    sessionId.length > Limits.maxSessionIdChars ||
    !Limits.sessionIdPattern.test(sessionId)
  ) {
    throw new InvalidParameterError(
      `${where}: 'session_id' must be 1 to ${Limits.maxSessionIdChars} characters of letters, digits, '.', '_', ':' or '-'.`,
    );
  }
  return sessionId;
}

/** Extracts the records of an MLflow input format, in order, enforcing the record limits. */
export function parseRecords(format: RecordFormat, value: unknown): InvocationRecord[] {
  const rows = rowsOf(format, value);
  if (rows.length === 0) throw new InvalidParameterError(`'${format}' must hold at least one record.`);
  if (rows.length > Limits.maxRecords) {
    throw new InvalidParameterError(
      `'${format}' holds ${rows.length} records; the limit is ${Limits.maxRecords} per request.`,
    );
  }
  return rows.map((row, i) => {
    const where = `${format} record ${i}`;
    const query = validateQuery(where, row.query);
    const sessionId = validateSessionId(where, row.session_id);
    return sessionId === undefined ? { query } : { query, sessionId };
  });
}
