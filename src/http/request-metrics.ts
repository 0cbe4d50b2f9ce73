import type { MiddlewareObj } from '@middy/core';
import type { ServingMetrics } from '../observability/serving-metrics.js';
import type { HttpResponse, ProxyEvent } from './types.js';

/** Liveness probes would dilute the error rate that the alarms compute, so they are not counted. */
const UNCOUNTED_RESOURCES = new Set(['/ping', '/health']);

/** Counts every response by status class and records its latency, errors included. */
export function requestMetrics(metrics: ServingMetrics): MiddlewareObj<ProxyEvent, HttpResponse> {
  const started = new WeakMap<object, number>();
  const record: NonNullable<MiddlewareObj<ProxyEvent, HttpResponse>['after']> = (request) => {
    if (UNCOUNTED_RESOURCES.has(request.event.resource)) return;
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
