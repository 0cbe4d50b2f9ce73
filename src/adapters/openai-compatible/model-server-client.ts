import OpenAI from 'openai';
import type { OpenAICompatibleModel } from '../../config/backends-config.js';

/**
 * The OpenAI SDK pointed at any OpenAI-compatible server. Its own retries are off: the pipeline
 * answers 503 with `Retry-After` and the caller decides, as with the other backends. A server
 * without authentication still gets a placeholder key, which the SDK requires.
 */
export function modelServerClient(
  model: OpenAICompatibleModel,
  options: { readonly timeoutMs?: number } = {},
): OpenAI {
  return new OpenAI({
    baseURL: model.baseUrl,
    apiKey: model.apiKey ?? 'not-needed',
    maxRetries: 0,
    ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
  });
}
