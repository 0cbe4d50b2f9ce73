import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { HttpResponse, ProxyEvent } from './types.js';
import { requestIdOf } from './response-headers.js';
import { onResponseComplete } from './response-completion.js';
import { ServingError } from '../core/errors.js';

export interface AccessLogOptions {
  readonly logger: Logger;
  /** Add the request body (the prompt) to each line, for debugging. @default false */
  readonly logPrompts?: boolean;
}

/** Longest body kept in a debug access log line. */
const MAX_LOGGED_BODY_CHARS = 4096;

/**
 * One structured line per request, written when the response is complete: what was called, by
 * whom, with which outcome and how fast (a streamed answer to its last byte, with the time to its
 * headers and whether it failed after them). Never the Authorization header; the body only when
 * prompt logging is on (and the logger's redaction still masks tokens and PII in it).
 */
export function accessLog(options: AccessLogOptions): MiddlewareObj<ProxyEvent, HttpResponse> {
  return {
    name: 'accessLog',
    before: (request) => {
      const { event } = request;
      const started = Date.now();
      onResponseComplete(request, (outcome) => {
        const principal = (event.requestContext?.authorizer as Record<string, unknown> | null | undefined)
          ?.principalId;
        options.logger.info('request', {
          request_id: requestIdOf(event),
          method: event.httpMethod,
          resource: event.resource,
          status: outcome.statusCode,
          latency_ms: Date.now() - started,
          ...(outcome.streamed && { first_byte_ms: outcome.headersAt - started }),
          ...(outcome.failedAfterHeaders && { stream_failed: true }),
          ...(outcome.abandoned && { abandoned: true }),
          ...(outcome.error instanceof ServingError && { error_code: outcome.error.errorCode }),
          ...(typeof principal === 'string' && { principal }),
          ...(options.logPrompts &&
            typeof event.body === 'string' && {
              body: event.body.slice(0, MAX_LOGGED_BODY_CHARS),
            }),
        });
      });
    },
  };
}
