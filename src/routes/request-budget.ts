import type { LambdaContext } from '../http/types.js';

/** Time kept back from the Lambda's remaining time so an error response can still be written. */
export const RESPONSE_MARGIN_MS = 500;

/** A request's time budget: the configured timeout, shortened by what the Lambda has left. */
export function requestBudgetMs(requestTimeoutMs: number, context: LambdaContext): number {
  const remaining = context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(requestTimeoutMs, remaining - RESPONSE_MARGIN_MS));
}
