import { CommanderError } from 'commander';
import {
  RagApiError,
  RagConfigurationError,
  RagConnectionError,
  RagTimeoutError,
} from '../../client/index.js';

/** `rag` exit codes (DESIGN 9), documented in `rag --help` and the README. */
export const ExitCode = {
  success: 0,
  /** Something failed that none of the codes below describes (a bug). */
  unexpected: 1,
  /** A bad command line, or no token to send. */
  usage: 2,
  /** 401 or 403: the token is missing, wrong, revoked, lacks a scope, or the session is somebody else's. */
  auth: 3,
  /** Any other 4xx: a bad request, an unknown session, a quota. */
  request: 4,
  /** 5xx, no answer in time, or the server could not be reached. */
  server: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The input was wrong in a way only running it could tell (a SQL error, say): exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.success : ExitCode.usage;
  if (error instanceof RagConfigurationError) return ExitCode.usage;
  if (error instanceof RagApiError) {
    if (error.isAuthError) return ExitCode.auth;
    return error.status < 500 ? ExitCode.request : ExitCode.server;
  }
  if (error instanceof RagConnectionError || error instanceof RagTimeoutError) return ExitCode.server;
  return ExitCode.unexpected;
}

/** One line for stderr: the server's own message, with its code and request id to quote. */
export function describeFailure(error: unknown): string {
  if (error instanceof RagApiError) {
    const requestId = error.requestId === undefined ? '' : `, request ${error.requestId}`;
    return `${error.message} (${error.status} ${error.errorCode}${requestId})`;
  }
  return error instanceof Error ? error.message : String(error);
}
