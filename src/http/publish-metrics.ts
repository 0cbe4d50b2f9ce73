import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { onResponseComplete } from './response-completion.js';
import type { HttpResponse, ProxyEvent } from './types.js';

/**
 * Powertools' `logMetrics`, minus its warning on requests that recorded nothing (liveness probes):
 * captures the cold start once, and flushes the request's metrics when its response is complete
 * (a streamed answer's guardrail and token metrics included, in the same invocation). Used before
 * the middlewares that record metrics, so that it flushes after them.
 */
export function publishMetrics(metrics: Metrics): MiddlewareObj<ProxyEvent, HttpResponse> {
  return {
    name: 'publishMetrics',
    before: (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
      onResponseComplete(request, () => {
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      });
    },
  };
}
