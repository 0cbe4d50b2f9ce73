import type { LambdaContext } from '../http/types.js';

/** Time kept back from the Lambda's remaining time so an error response can still be written. */
export const RESPONSE_MARGIN_MS = 500;

/** A request's time budget: the configured timeout, shortened by what the Lambda has left. */
export function requestBudgetMs(requestTimeoutMs: number, context: LambdaContext): number {
  const remaining = context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(requestTimeoutMs, remaining - RESPONSE_MARGIN_MS));
}

/** The budgets of a streamed answer, configured and shortened by what the Lambda has left. */
export interface StreamBudgets {
  /** Until the stream opens. */
  readonly firstByteMs: number;
  /** To the last byte. */
  readonly totalMs: number;
}

export function streamBudgets(
  options: { readonly streamFirstByteMs: number; readonly streamTimeoutMs: number },
  context: LambdaContext,
): StreamBudgets {
  const totalMs = requestBudgetMs(options.streamTimeoutMs, context);
  return { firstByteMs: Math.min(options.streamFirstByteMs, totalMs), totalMs };
}

/** The budgets a chat answer runs under: one for a buffered answer, two for a streamed one. */
export interface ChatBudgets {
  readonly requestMs: number;
  readonly stream: StreamBudgets;
}

/** The time budgets a route reads from its options. */
export interface BudgetOptions {
  /** Upper bound of a buffered request's time budget; the Lambda's remaining time may shorten it. */
  readonly requestTimeoutMs: number;
  /** A streamed answer's budget until it opens. */
  readonly streamFirstByteMs: number;
  /** A streamed answer's budget to its last byte. */
  readonly streamTimeoutMs: number;
}

export function chatBudgets(options: BudgetOptions, context: LambdaContext): ChatBudgets {
  return {
    requestMs: requestBudgetMs(options.requestTimeoutMs, context),
    stream: streamBudgets(options, context),
  };
}
