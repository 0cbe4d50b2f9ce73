import type { MiddlewareObj } from '@middy/core';
import { BackendError } from '../core/errors.js';
import type { ServingMetrics } from '../observability/serving-metrics.js';
import { onResponseComplete } from './response-completion.js';
import type { HttpResponse, ProxyEvent } from './types.js';

/** Liveness probes would dilute the error rate that the alarms compute, so they are not counted. */
const UNCOUNTED_RESOURCES = new Set(['/ping', '/health']);

/**
 * Counts every response by status class and records its latency, errors included, once the
 * response is complete: a streamed answer to its last byte, with a failure after its headers
 * counted as a server error, and a misconfigured backend in its own metric.
 */
export function requestMetrics(metrics: ServingMetrics): MiddlewareObj<ProxyEvent, HttpResponse> {
  return {
    name: 'requestMetrics',
    before: (request) => {
      if (UNCOUNTED_RESOURCES.has(request.event.resource)) return;
      const started = Date.now();
      onResponseComplete(request, (outcome) => {
        metrics.recordResponse({
          statusCode: outcome.statusCode,
          latencyMs: Date.now() - started,
          ...(outcome.streamed && { firstByteMs: outcome.headersAt - started }),
          failedAfterHeaders: outcome.failedAfterHeaders,
          misconfigured: outcome.error instanceof BackendError && !outcome.error.isRetryable,
        });
      });
    },
  };
}
