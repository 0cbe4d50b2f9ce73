/**
 * How DynamoDB failures are told apart: throttling and unreachable endpoints (after the SDK's
 * own retries) are worth a retry later and surface as a 503; anything else is a setup error.
 */
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
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
]);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function errorName(error: unknown): string {
  if (!isRecord(error)) return '';
  return String(error.name ?? '');
}

/** Throttled, unreachable or a DynamoDB 5xx: the caller may retry later. */
export function isUnavailable(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const name = errorName(error);
  const code = typeof error.code === 'string' ? error.code : '';
  const retryable = isRecord(error.$retryable) ? error.$retryable : undefined;
  const status = isRecord(error.$metadata) ? error.$metadata.httpStatusCode : undefined;
  return (
    THROTTLING_ERRORS.has(name) ||
    retryable?.throttling === true ||
    NETWORK_ERRORS.has(name) ||
    NETWORK_ERRORS.has(code) ||
    // DynamoDB's own 5xx (InternalServerError, ServiceUnavailable) after the SDK's retries.
    (typeof status === 'number' && status >= 500) ||
    error.$fault === 'server'
  );
}
