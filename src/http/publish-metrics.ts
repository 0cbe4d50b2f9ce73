import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { HttpResponse, ProxyEvent } from './types.js';

/**
 * Powertools' `logMetrics`, minus its warning on requests that recorded nothing (liveness probes):
 * captures the cold start once, and flushes the request's metrics only when there are some.
 */
export function publishMetrics(metrics: Metrics): MiddlewareObj<ProxyEvent, HttpResponse> {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    name: 'publishMetrics',
    before: (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
    },
    after: flush,
    onError: flush,
  };
}
