import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { BackendError, ServingError } from '../core/errors.js';
import { toErrorBody } from '../core/protocol/response.js';
import { jsonResponse, type HttpResponse, type ProxyEvent } from './types.js';

export interface ServingErrorsOptions {
  readonly logger: Logger;
  /** Shapes the body of an error; the OpenAI-compatible route uses its own shape. */
  readonly format?: (error: ServingError, event: ProxyEvent) => unknown;
}

/**
 * Logs a 5xx: a misconfigured backend at ERROR (someone has to fix it; the message says how, the
 * cause has the backend's own words), an outage or a deadline at WARN.
 */
export function logServerError(
  logger: Pick<Logger, 'warn' | 'error'>,
  message: string,
  error: ServingError,
): void {
  if (error instanceof BackendError && !error.isRetryable) {
    logger.error(message, {
      errorCode: error.errorCode,
      backend: error.backend,
      fix: error.message,
      error: error.cause,
    });
  } else {
    logger.warn(message, { errorCode: error.errorCode, error: error.cause ?? error.message });
  }
}

/** The response for any thrown value: a ServingError as its status and code, anything else as an unexposed 500. */
export function errorResponse(
  error: unknown,
  logger: Logger,
  body: (e: ServingError) => unknown = toErrorBody,
): HttpResponse {
  if (error instanceof ServingError) {
    if (error.status >= 500) logServerError(logger, 'request failed', error);
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined
        ? {}
        : { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) };
    return jsonResponse(error.status, body(error), headers);
  }
  logger.error('unexpected failure', error as Error);
  return jsonResponse(
    500,
    body(new ServingError('An internal error occurred; it has been logged.', 'INTERNAL_ERROR', 500)),
  );
}

/** Turns every failure into a Databricks-style error response; stack traces never reach the caller. */
export function servingErrors(options: ServingErrorsOptions): MiddlewareObj<ProxyEvent, HttpResponse> {
  return {
    name: 'servingErrors',
    onError: (request) => {
      const format = options.format;
      request.response = errorResponse(
        request.error,
        options.logger,
        format ? (e) => format(e, request.event) : undefined,
      );
    },
  };
}
