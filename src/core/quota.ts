import { RequestLimitError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { UsageCounters, UsageStore, UsageWindow } from './ports/usage-store.js';
import type { Usage } from './ports/types.js';

export interface QuotaLimits {
  /** Requests per principal per window; 0 means unlimited. */
  readonly requestsPerWindow: number;
  /** Model tokens (input + output) per principal per window; 0 means unlimited. */
  readonly tokensPerWindow: number;
  /** @default 60_000 (per minute, as Databricks AI Gateway counts) */
  readonly windowMs?: number;
}

export interface QuotaEnforcerOptions {
  readonly store: UsageStore;
  readonly limits: QuotaLimits;
  readonly clock: Clock;
  /** Told when charging tokens failed; the answer has been given by then, so it is not refused. */
  readonly onChargeError?: (error: unknown) => void;
}

/**
 * Per-principal rate limits in fixed windows, in the style of Databricks AI Gateway: each request
 * counts one against requests per minute before it runs, and its model tokens are charged after
 * it has been answered, so a principal over its token budget is refused from its next request
 * until the window ends. Counters are atomic in the store, so concurrent containers agree.
 */
export class QuotaEnforcer {
  readonly #store: UsageStore;
  readonly #limits: Required<QuotaLimits>;
  readonly #clock: Clock;
  readonly #onChargeError: (error: unknown) => void;

  constructor(options: QuotaEnforcerOptions) {
    const { requestsPerWindow, tokensPerWindow, windowMs = 60_000 } = options.limits;
    for (const [name, value] of Object.entries({ requestsPerWindow, tokensPerWindow })) {
      if (!Number.isInteger(value) || value < 0)
        throw new RangeError(`${name} must be a non-negative integer (0 = unlimited), got ${value}.`);
    }
    if (!Number.isInteger(windowMs) || windowMs < 1000)
      throw new RangeError(`windowMs must be an integer of at least 1000, got ${windowMs}.`);
    this.#store = options.store;
    this.#limits = { requestsPerWindow, tokensPerWindow, windowMs };
    this.#clock = options.clock;
    this.#onChargeError = options.onChargeError ?? (() => undefined);
  }

  get enabled(): boolean {
    return this.#limits.requestsPerWindow > 0 || this.#limits.tokensPerWindow > 0;
  }

  /** Counts a request; throws RequestLimitError (429 with Retry-After) when the principal is over a limit. */
  async admit(principal: string): Promise<void> {
    if (!this.enabled) return;
    const window = this.#windowOf(principal);
    const used = await this.#store.add(window, { requests: 1 });
    const over = this.#exceeded(used);
    if (over !== undefined) {
      throw new RequestLimitError(
        `Quota exceeded: ${over} per ${this.#limits.windowMs / 1000} s for this principal; retry later.`,
        Math.max(1, Math.ceil((window.end - this.#clock.now()) / 1000)),
      );
    }
  }

  /** Charges the tokens an answered request used. Never throws: the answer is already given. */
  async charge(principal: string, usage: Usage): Promise<void> {
    const tokens = usage.inputTokens + usage.outputTokens;
    if (this.#limits.tokensPerWindow === 0 || tokens <= 0) return;
    try {
      await this.#store.add(this.#windowOf(principal), { tokens });
    } catch (error) {
      this.#onChargeError(error);
    }
  }

  #exceeded(used: UsageCounters): string | undefined {
    const { requestsPerWindow, tokensPerWindow } = this.#limits;
    if (requestsPerWindow > 0 && used.requests > requestsPerWindow) return `${requestsPerWindow} requests`;
    if (tokensPerWindow > 0 && used.tokens >= tokensPerWindow) return `${tokensPerWindow} tokens`;
    return undefined;
  }

  #windowOf(principal: string): UsageWindow {
    const { windowMs } = this.#limits;
    const start = Math.floor(this.#clock.now() / windowMs) * windowMs;
    return { principal, start, end: start + windowMs };
  }
}
