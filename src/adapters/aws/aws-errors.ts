/**
 * What an AWS SDK error says about itself, by its type and metadata (never its message text):
 * its name, HTTP status, and whether retrying later can help. The adapter families (Bedrock,
 * DynamoDB, Secrets Manager) build their classification on these.
 */

/** Names the AWS services use for "too many requests", across services. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceQuotaExceededException',
]);
/** Failures below HTTP: nothing answered, so the same call may work a moment later. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function errorName(error: unknown): string {
  if (!isRecord(error)) return '';
  return String(error.name ?? '');
}

/** The HTTP status the service answered with; undefined when none answered. */
export function httpStatusOf(error: unknown): number | undefined {
  if (!isRecord(error) || !isRecord(error.$metadata)) return undefined;
  const status = error.$metadata.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The service throttled us (past the SDK's own retries). */
export function isThrottling(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const retryable = isRecord(error.$retryable) ? error.$retryable : undefined;
  return (
    THROTTLING_ERRORS.has(errorName(error)) || retryable?.throttling === true || httpStatusOf(error) === 429
  );
}

/**
 * Throttled, unreachable, timed out or a 5xx of the service: an outage a retry later may get
 * past. Anything else the service answered (a 4xx) is a request or a setup it will refuse again.
 */
export function isTransient(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const code = typeof error.code === 'string' ? error.code : '';
  const status = httpStatusOf(error);
  return (
    isThrottling(error) ||
    NETWORK_ERRORS.has(errorName(error)) ||
    NETWORK_ERRORS.has(code) ||
    error.$retryable !== undefined ||
    error.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    // No status and no client fault: the call never got an answer (a socket or DNS failure).
    (status === undefined && error.$fault !== 'client')
  );
}
