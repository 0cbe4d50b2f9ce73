import { BackendMisconfiguredError, BackendUnavailableError } from '../../core/errors.js';
import { errorName, isThrottling, isTransient } from '../aws/aws-errors.js';

/** Seconds a client should wait after Bedrock throttled us past our own retries. */
const THROTTLED_RETRY_AFTER_SECONDS = 2;
/** Bedrock's names for a model that is warming up or busy: an outage, not a setup error. */
const MODEL_BUSY = new Set(['ModelNotReadyException', 'ModelTimeoutException', 'ModelErrorException']);

/** What a failed Bedrock call was about, so that its message can name it. */
export type BedrockTarget =
  { readonly model: string } | { readonly guardrail: string; readonly version: string };

const PREFLIGHT = 'Run `npm run preflight -- --stage <stage>` to check the whole stage.';

/** The likely fix for a Bedrock error that no retry gets past, by the error's type. */
function fixFor(name: string, target: BedrockTarget): string {
  const what =
    'model' in target
      ? `model '${target.model}'`
      : `guardrail '${target.guardrail}' version ${target.version}`;
  switch (name) {
    case 'AccessDeniedException':
      return 'model' in target
        ? `access to ${what} was denied (AccessDeniedException). The function's role needs bedrock:InvokeModel ` +
            '(and InvokeModelWithResponseStream) on it, on an inference profile also on the foundation model in every ' +
            "region the profile routes to; a third-party model also needs the account's one-time AWS Marketplace " +
            'subscription, which the first call of a principal allowed aws-marketplace:Subscribe makes. ' +
            PREFLIGHT
        : `applying ${what} was denied (AccessDeniedException): the function's role needs bedrock:ApplyGuardrail on ` +
            'the guardrail, and with cross-region guardrail inference on its guardrail profile in each region. ' +
            PREFLIGHT;
    case 'ResourceNotFoundException':
      return (
        `${what} was not found in this region (ResourceNotFoundException): check the id in the stage settings, ` +
        `and that the ${'model' in target ? 'model is offered' : 'guardrail exists'} in the function's region. ${PREFLIGHT}`
      );
    case 'ValidationException':
      return (
        `Bedrock refused the call on ${what} as invalid (ValidationException): the model may need an inference ` +
        'profile id instead of its foundation-model id, not support Converse, or the guardrail version may not ' +
        `exist. ${PREFLIGHT}`
      );
    default:
      return `Bedrock refused the call on ${what} (${name || 'an error'}); the function's log has the details. ${PREFLIGHT}`;
  }
}

/**
 * The error to throw for a failed Bedrock call, classified by its type: throttling, a busy model,
 * 5xx, timeouts and network failures are an outage (503 with Retry-After; the SDK has already
 * retried them within the request's budget); access denied, not found, validation and any other
 * refusal are a misconfiguration (500 naming the model or guardrail and the fix). After the
 * request's deadline passed, the deadline itself is the failure.
 */
export function bedrockFailure(
  error: unknown,
  abortSignal: AbortSignal | undefined,
  target: BedrockTarget,
): unknown {
  if (abortSignal?.aborted) return abortSignal.reason ?? error;
  const name = errorName(error);
  if (isThrottling(error)) {
    return new BackendUnavailableError('Bedrock', {
      cause: error,
      retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
    });
  }
  if (MODEL_BUSY.has(name) || isTransient(error))
    return new BackendUnavailableError('Bedrock', { cause: error });
  return new BackendMisconfiguredError('Bedrock', fixFor(name, target), { cause: error });
}
