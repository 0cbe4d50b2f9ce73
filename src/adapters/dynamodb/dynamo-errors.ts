import { BackendMisconfiguredError, BackendUnavailableError } from '../../core/errors.js';
import { errorName, isTransient } from '../aws/aws-errors.js';

/** The table a failed call was on, as the message names it. */
export interface DynamoTarget {
  /** What the table holds: `session`, `token`, `usage`. */
  readonly role: string;
  readonly tableName: string;
  /** The environment variable that names the table, for the fix. */
  readonly setting: string;
  /** What the store was doing, e.g. `append` or `listSessions`. */
  readonly operation: string;
}

function fixFor(name: string, target: DynamoTarget): string {
  const table = `${target.role} table '${target.tableName}'`;
  switch (name) {
    case 'ResourceNotFoundException':
      return `${table} does not exist (${target.operation}): deploy the stage's stateful stack, or set ${target.setting} to the table's name`;
    case 'AccessDeniedException':
      return (
        `${table} denied ${target.operation} (AccessDeniedException): the function's role lacks a DynamoDB ` +
        `action on the table or its index that ${target.operation} needs`
      );
    default:
      return `${table} refused ${target.operation} (${name || 'an error'}); the function's log has the details`;
  }
}

/**
 * The one mapping of DynamoDB failures, for every table: throttling, unreachable endpoints and
 * DynamoDB's own 5xx (after the SDK's retries) are an outage (503 with Retry-After); a missing
 * table, a denied call or any other refusal is a misconfiguration (500 naming the table and the
 * fix). Errors already classified pass through.
 */
export function dynamoFailure(error: unknown, target: DynamoTarget): Error {
  if (error instanceof BackendUnavailableError || error instanceof BackendMisconfiguredError) return error;
  if (isTransient(error)) return new BackendUnavailableError('DynamoDB', { cause: error });
  return new BackendMisconfiguredError('DynamoDB', fixFor(errorName(error), target), { cause: error });
}

/** A stored item that this code cannot read: data written by something else, or corrupted. */
export function malformedItem(
  target: Omit<DynamoTarget, 'operation' | 'setting'>,
  key: string,
): BackendMisconfiguredError {
  return new BackendMisconfiguredError(
    'DynamoDB',
    `item ${key} of ${target.role} table '${target.tableName}' is malformed: it was not written by this version of rag-serving`,
  );
}
