/** Databricks error codes this service answers with. */
export type DatabricksErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETER_VALUE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'ENDPOINT_NOT_FOUND'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'NOT_FOUND'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL_ERROR'
  /** A 500 of our own (Databricks SDKs raise it by its status, as InternalError): a backend is misconfigured. */
  | 'BACKEND_MISCONFIGURED';

export interface ServingErrorOptions {
  readonly cause?: unknown;
  /** Seconds a client should wait before retrying; sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
}

/**
 * A failure that knows how it surfaces on the wire. Its message is shown to the
 * caller, so it must never carry secrets, prompts or stack traces.
 */
export class ServingError extends Error {
  readonly retryAfterSeconds?: number;
  constructor(
    message: string,
    readonly errorCode: DatabricksErrorCode,
    readonly status: number,
    options: ServingErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The body is not JSON, not an object, or has the wrong shape. */
export class BadRequestError extends ServingError {
  constructor(message: string, options?: ServingErrorOptions) {
    super(message, 'BAD_REQUEST', 400, options);
  }
}

/** A well-formed body with a bad value. */
export class InvalidParameterError extends ServingError {
  constructor(message: string, options?: ServingErrorOptions) {
    super(message, 'INVALID_PARAMETER_VALUE', 400, options);
  }
}

export class PayloadTooLargeError extends ServingError {
  constructor(message: string) {
    super(message, 'BAD_REQUEST', 413);
  }
}

export class UnsupportedMediaTypeError extends ServingError {
  constructor(message: string) {
    super(message, 'BAD_REQUEST', 415);
  }
}

export class UnauthenticatedError extends ServingError {
  constructor(message = 'Missing or invalid access token.') {
    super(message, 'UNAUTHENTICATED', 401);
  }
}

export class PermissionDeniedError extends ServingError {
  constructor(message: string) {
    super(message, 'PERMISSION_DENIED', 403);
  }
}

export class EndpointNotFoundError extends ServingError {
  constructor(name: string) {
    super(`Endpoint '${name}' does not exist.`, 'ENDPOINT_NOT_FOUND', 404);
  }
}

export class RouteNotFoundError extends ServingError {
  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}.`, 'NOT_FOUND', 404);
  }
}

export class ResourceNotFoundError extends ServingError {
  constructor(message: string) {
    super(message, 'RESOURCE_DOES_NOT_EXIST', 404);
  }
}

export class RequestLimitError extends ServingError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, 'REQUEST_LIMIT_EXCEEDED', 429, { retryAfterSeconds });
  }
}

/** The backends a request depends on, as messages and metrics name them. */
export type BackendName = 'Bedrock' | 'Pinecone' | 'DynamoDB' | 'Secrets Manager' | 'The model server';

/**
 * A backend call failed, classified once at the adapter boundary by the error's type and status
 * (never its message text). `isRetryable` is what retry logic, the wire mapping and the metrics
 * read: a retryable failure is an outage (503 with Retry-After), any other a misconfiguration
 * (500 BACKEND_MISCONFIGURED, no Retry-After, its own metric and alarm).
 */
export abstract class BackendError extends ServingError {
  abstract readonly isRetryable: boolean;
  constructor(
    readonly backend: BackendName,
    message: string,
    errorCode: DatabricksErrorCode,
    status: number,
    options: ServingErrorOptions = {},
  ) {
    super(message, errorCode, status, options);
  }
}

/** A backend is down, slow or throttling past our retries; the caller may retry later. */
export class BackendUnavailableError extends BackendError {
  readonly isRetryable = true;
  constructor(backend: BackendName, options: ServingErrorOptions = {}) {
    super(backend, `${backend} is temporarily unavailable; retry later.`, 'TEMPORARILY_UNAVAILABLE', 503, {
      retryAfterSeconds: 1,
      ...options,
    });
  }
}

/**
 * A backend refused the call for a reason no retry fixes: access denied, a model, index, table or
 * secret that does not exist, a request the backend calls invalid. The message names the backend
 * and the likely fix (never a secret); the backend's own error is the `cause`, which is logged.
 */
export class BackendMisconfiguredError extends BackendError {
  readonly isRetryable = false;
  constructor(backend: BackendName, fix: string, options: Pick<ServingErrorOptions, 'cause'> = {}) {
    super(backend, `${backend} is misconfigured: ${fix}`, 'BACKEND_MISCONFIGURED', 500, options);
  }
}

export class DeadlineExceededError extends ServingError {
  constructor(budgetMs: number, options: ServingErrorOptions = {}) {
    super(`The request did not finish within its ${budgetMs} ms time budget.`, 'DEADLINE_EXCEEDED', 504, {
      retryAfterSeconds: 1,
      ...options,
    });
  }
}
