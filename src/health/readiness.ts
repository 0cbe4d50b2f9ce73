import { withDeadline } from '../core/deadline.js';
import { BackendError, type BackendName } from '../core/errors.js';

/** One configured backend, called once with a cheap request to see whether it answers. */
export interface ReadinessProbe {
  /** What is checked, e.g. `generator` or `index`. */
  readonly name: string;
  check(abortSignal: AbortSignal): Promise<void>;
}

export type ProbeStatus = 'ok' | 'misconfigured' | 'unavailable';

/** What one probe found, as `GET /health?deep=true` reports it. */
export interface ProbeResult {
  readonly name: string;
  readonly status: ProbeStatus;
  readonly latency_ms: number;
  /** The backend that failed, when it said so. */
  readonly backend?: BackendName;
  /** What is wrong and how to fix it (the failure's own message: never a secret). */
  readonly message?: string;
}

/**
 * Runs every probe at once, each within `budgetMs`, and reports each by the classification of its
 * failure: a non-retryable backend error is `misconfigured`, anything else (an outage, a timeout,
 * an unexpected error) `unavailable`.
 */
export async function runProbes(
  probes: readonly ReadinessProbe[],
  budgetMs: number,
): Promise<readonly ProbeResult[]> {
  return Promise.all(
    probes.map(async (probe) => {
      const started = Date.now();
      try {
        await withDeadline(budgetMs, (signal) => probe.check(signal));
        return { name: probe.name, status: 'ok' as const, latency_ms: Date.now() - started };
      } catch (error) {
        const latency_ms = Date.now() - started;
        if (error instanceof BackendError) {
          return {
            name: probe.name,
            status: error.isRetryable ? ('unavailable' as const) : ('misconfigured' as const),
            latency_ms,
            backend: error.backend,
            message: error.message,
          };
        }
        const message =
          error instanceof Error && 'errorCode' in error ? error.message : 'failed; see the function log';
        return { name: probe.name, status: 'unavailable' as const, latency_ms, message };
      }
    }),
  );
}
