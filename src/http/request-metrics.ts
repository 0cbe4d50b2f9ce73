import type { MiddlewareObj } from '@middy/core';
import type { ServingMetrics } from '../observability/serving-metrics.js';
import type { HttpResponse, ProxyEvent } from './types.js';

/** Counts every response by status class and records its latency, errors included. */
export function requestMetrics(metrics: ServingMetrics): MiddlewareObj<ProxyEvent, HttpResponse> {
  const started = new WeakMap<object, number>();
  const record: NonNullable<MiddlewareObj<ProxyEvent, HttpResponse>['after']> = (request) => {
    const start = started.get(request.event) ?? Date.now();
    metrics.recordResponse(request.response?.statusCode ?? 500, Date.now() - start);
  };
  return {
    name: 'requestMetrics',
    before: (request) => {
      started.set(request.event, Date.now());
    },
    after: record,
    onError: record,
  };
}
