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

/**
 * A time budget that outlives one call: a stream keeps sending after its setup has returned, so
 * its signal stays armed until the stream ends. It aborts with DeadlineExceededError; `close` it
 * when the response is complete (or abandoned) so backends still working for it stop.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly budgetMs: number) {
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceededError(budgetMs)), budgetMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Settles with `work`, or rejects with DeadlineExceededError as soon as the budget runs out, or
   * `withinMs` (a shorter budget for this step, such as a stream's time to its first byte).
   */
  async run<T>(work: Promise<T>, withinMs?: number): Promise<T> {
    work.catch(() => undefined);
    const step =
      withinMs === undefined || withinMs >= this.budgetMs
        ? undefined
        : setTimeout(() => {
            if (!this.controller.signal.aborted) this.controller.abort(new DeadlineExceededError(withinMs));
          }, withinMs);
    const signal = this.controller.signal;
    const expired = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    expired.catch(() => undefined);
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      throw this.explain(error);
    } finally {
      clearTimeout(step);
    }
  }

  /** The failure to report: once the budget has run out, backends fail with abort errors; report the deadline. */
  explain(error: unknown): unknown {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof DeadlineExceededError ? reason : error;
  }

  close(): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(new Error('The response is complete.'));
  }
}
