import { BackendUnavailableError } from '../../core/errors.js';

/** Bedrock's names for "too many requests": worth a longer wait before the caller retries. */
const THROTTLING = new Set([
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'ModelNotReadyException',
]);
/** Seconds a client should wait after Bedrock throttled us past our own retries. */
const THROTTLED_RETRY_AFTER_SECONDS = 2;

/**
 * The error to throw for a failed Bedrock call. The SDK has already retried throttling and
 * transient errors within the request's budget; what is left is reported as 503 with the SDK
 * error as `cause` (logged, never shown). After the request's deadline passed, the deadline
 * itself is the failure.
 */
export function bedrockFailure(error: unknown, abortSignal?: AbortSignal): unknown {
  if (abortSignal?.aborted) return abortSignal.reason ?? error;
  const name = error instanceof Error ? error.name : '';
  return new BackendUnavailableError('Bedrock', {
    cause: error,
    ...(THROTTLING.has(name) && { retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS }),
  });
}
