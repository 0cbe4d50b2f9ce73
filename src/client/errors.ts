/** Every error the client throws (other than an abort, which rejects with the signal's reason). */
export class RagError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The client has no server URL or no token: nothing was sent. */
export class RagConfigurationError extends RagError {}

/** The server answered with an error: its HTTP status and Databricks `error_code`. */
export class RagApiError extends RagError {
  constructor(
    message: string,
    readonly status: number,
    /** e.g. `UNAUTHENTICATED`, `REQUEST_LIMIT_EXCEEDED`, `TEMPORARILY_UNAVAILABLE`. */
    readonly errorCode: string,
    readonly details: {
      /** The `x-request-id` of the failed response, to quote to the operator. */
      readonly requestId?: string;
      /** Seconds the server asked to wait before retrying (`Retry-After`). */
      readonly retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }

  get requestId(): string | undefined {
    return this.details.requestId;
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  /** 401 or 403: a missing, wrong or revoked token, a missing scope, or someone else's session. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The server could not be reached, or the connection broke before a complete answer. */
export class RagConnectionError extends RagError {}

/** An attempt took longer than `timeoutMs`. */
export class RagTimeoutError extends RagError {
  constructor(readonly timeoutMs: number) {
    super(`No complete answer within ${timeoutMs} ms.`);
  }
}

/** HTTP status of a Databricks error code, for errors that arrive inside a stream. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  REQUEST_LIMIT_EXCEEDED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export const statusOfErrorCode = (errorCode: string): number => STATUS_OF_CODE[errorCode] ?? 500;
