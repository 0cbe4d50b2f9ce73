import { APIConnectionError, APIError } from 'openai';
import { BackendMisconfiguredError, BackendUnavailableError } from '../../core/errors.js';
import { EnvVar } from '../../shared/env.js';

/** Seconds a client should wait after the model server said it is overloaded (429). */
const OVERLOADED_RETRY_AFTER_SECONDS = 2;

/**
 * The error to throw for a failed call to an OpenAI-compatible model server, classified by the
 * SDK's error type and HTTP status, never by message text:
 * - unreachable, timed out, overloaded (429) or failing (5xx): 503 with `Retry-After`, as for Bedrock;
 * - an unknown model (404) or a rejected key (401, 403): a permanent error naming the setting to fix;
 * - anything else the server refused (400, 422): permanent too, since the same request fails again.
 * After the request's deadline passed, the deadline itself is the failure.
 */
export function modelServerFailure(
  error: unknown,
  model: { readonly baseUrl: string; readonly model: string; readonly modelVariable: string },
  abortSignal?: AbortSignal,
): unknown {
  if (abortSignal?.aborted) return abortSignal.reason ?? error;
  const server = `${model.baseUrl} (${EnvVar.openaiBaseUrl})`;
  if (error instanceof APIConnectionError || !(error instanceof APIError)) {
    return new BackendUnavailableError('The model server', { cause: error });
  }
  const status = error.status ?? 0;
  if (status === 429) {
    return new BackendUnavailableError('The model server', {
      cause: error,
      retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS,
    });
  }
  if (status >= 500) return new BackendUnavailableError('The model server', { cause: error });
  if (status === 404) {
    return new BackendMisconfiguredError(
      'The model server',
      `${server} has no model '${model.model}'; set ${model.modelVariable} to a model it serves.`,
      { cause: error },
    );
  }
  if (status === 401 || status === 403) {
    return new BackendMisconfiguredError(
      'The model server',
      `${server} rejected the API key; check ${EnvVar.openaiApiKey}.`,
      { cause: error },
    );
  }
  return new BackendMisconfiguredError(
    'The model server',
    `${server} refused the request (HTTP ${status}).`,
    {
      cause: error,
    },
  );
}
