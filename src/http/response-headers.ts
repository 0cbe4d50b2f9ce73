import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { HttpResponse, ProxyEvent } from './types.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** The id of a request: API Gateway's, which its own gateway responses also carry. */
export function requestIdOf(event: ProxyEvent): string {
  return event.requestContext?.requestId || randomUUID();
}

/** Adds `x-request-id` and caching headers to every response, errors included. */
export function responseHeaders(): MiddlewareObj<ProxyEvent, HttpResponse> {
  const addHeaders: NonNullable<MiddlewareObj<ProxyEvent, HttpResponse>['after']> = (request) => {
    if (!request.response) return;
    request.response.headers = {
      ...request.response.headers,
      [REQUEST_ID_HEADER]: requestIdOf(request.event),
      'cache-control': 'no-store',
    };
  };
  return { name: 'responseHeaders', after: addHeaders, onError: addHeaders };
}
