import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceededError } from './errors.js';

/**
 * Runs `work` within a time budget. When the budget runs out the signal given to `work` is aborted
 * (so backends stop) and the caller gets a DeadlineExceededError instead of waiting on.
 */
export async function withDeadline<T>(
  budgetMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  parentSignal?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const stopTimer = new AbortController();
  const onParentAbort = () => controller.abort(parentSignal?.reason);
  parentSignal?.addEventListener('abort', onParentAbort, { once: true });
  const timeout = sleep(budgetMs, undefined, { signal: stopTimer.signal }).then(
    () => {
      const error = new DeadlineExceededError(budgetMs);
      controller.abort(error);
      throw error;
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } catch (error) {
    // A backend that reacts to the abort throws its own AbortError; report the deadline instead.
    if (controller.signal.reason instanceof DeadlineExceededError) throw controller.signal.reason;
    throw error;
  } finally {
    stopTimer.abort();
    parentSignal?.removeEventListener('abort', onParentAbort);
  }
}
