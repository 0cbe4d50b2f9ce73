import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { HttpResponse, ProxyEvent } from './types.js';
import { requestIdOf } from './response-headers.js';

export interface AccessLogOptions {
  readonly logger: Logger;
  /** Add the request body (the prompt) to each line, for debugging. @default false */
  readonly logPrompts?: boolean;
}

/** Longest body kept in a debug access log line. */
const MAX_LOGGED_BODY_CHARS = 4096;

/**
 * One structured line per request: what was called, by whom, with which outcome and how fast.
 * Never the Authorization header; the body only when prompt logging is on (and the logger's
 * redaction still masks tokens and PII in it).
 */
export function accessLog(options: AccessLogOptions): MiddlewareObj<ProxyEvent, HttpResponse> {
  const started = new WeakMap<object, number>();
  const write: NonNullable<MiddlewareObj<ProxyEvent, HttpResponse>['after']> = (request) => {
    const { event } = request;
    const status = request.response?.statusCode ?? 500;
    const principal = (event.requestContext?.authorizer as Record<string, unknown> | null | undefined)
      ?.principalId;
    options.logger.info('request', {
      request_id: requestIdOf(event),
      method: event.httpMethod,
      resource: event.resource,
      status,
      latency_ms: Date.now() - (started.get(event) ?? Date.now()),
      ...(typeof principal === 'string' && { principal }),
      ...(options.logPrompts &&
        typeof event.body === 'string' && {
          body: event.body.slice(0, MAX_LOGGED_BODY_CHARS),
        }),
    });
  };
  return {
    name: 'accessLog',
    before: (request) => {
      started.set(request.event, Date.now());
    },
    after: write,
    onError: write,
  };
}
