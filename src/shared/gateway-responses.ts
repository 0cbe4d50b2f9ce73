/**
 * Errors that API Gateway answers itself, before any function runs, in the Databricks error shape.
 * The CDK API customizes its GatewayResponses from this table and the local HTTP adapter answers
 * from it too, so a client sees the same status, code and headers locally and on AWS.
 */
export interface GatewayErrorResponse {
  readonly status: number;
  readonly errorCode: string;
  readonly message: string;
  /**
   * Keep the status API Gateway chose: a catch-all type covers several statuses (a 415 or a
   * usage-plan 429 would otherwise all become one), so only its body is customized.
   */
  readonly preserveStatus?: boolean;
}

export const GATEWAY_RESPONSES = {
  UNAUTHORIZED: { status: 401, errorCode: 'UNAUTHENTICATED', message: 'Missing or invalid access token.' },
  ACCESS_DENIED: {
    status: 403,
    errorCode: 'PERMISSION_DENIED',
    message: 'The access token is not allowed to call this API.',
  },
  MISSING_AUTHENTICATION_TOKEN: { status: 404, errorCode: 'NOT_FOUND', message: 'No such route.' },
  REQUEST_TOO_LARGE: { status: 413, errorCode: 'BAD_REQUEST', message: 'The request body is too large.' },
  THROTTLED: { status: 429, errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'Too many requests; retry later.' },
  INTEGRATION_TIMEOUT: {
    status: 504,
    errorCode: 'DEADLINE_EXCEEDED',
    message: 'The request did not finish in time.',
  },
  /** AWS WAF blocked the request (prod's firewall); the oversized-body rule answers 413 itself. */
  WAF_FILTERED: {
    status: 403,
    errorCode: 'PERMISSION_DENIED',
    message: 'The request was blocked by the firewall.',
  },
  AUTHORIZER_FAILURE: {
    status: 503,
    errorCode: 'TEMPORARILY_UNAVAILABLE',
    message: 'Authentication is temporarily unavailable; retry later.',
  },
  QUOTA_EXCEEDED: {
    status: 429,
    errorCode: 'REQUEST_LIMIT_EXCEEDED',
    message: 'The request quota is used up; retry later.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    errorCode: 'BAD_REQUEST',
    message: 'Content-Type must be application/json.',
  },
  INTEGRATION_FAILURE: {
    status: 503,
    errorCode: 'TEMPORARILY_UNAVAILABLE',
    message: 'The service is temporarily unavailable; retry later.',
  },
  DEFAULT_4XX: {
    status: 400,
    errorCode: 'BAD_REQUEST',
    message: 'The request was rejected.',
    preserveStatus: true,
  },
  DEFAULT_5XX: {
    status: 503,
    errorCode: 'TEMPORARILY_UNAVAILABLE',
    message: 'The service is temporarily unavailable; retry later.',
    preserveStatus: true,
  },
} as const satisfies Record<string, GatewayErrorResponse>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

/** Seconds a client should wait on the gateway errors that are worth retrying. */
export const GATEWAY_RETRY_AFTER_SECONDS: Partial<Record<GatewayResponseType, number>> = {
  THROTTLED: 1,
  QUOTA_EXCEEDED: 60,
  INTEGRATION_FAILURE: 1,
  AUTHORIZER_FAILURE: 1,
  DEFAULT_5XX: 1,
  INTEGRATION_TIMEOUT: 1,
};
