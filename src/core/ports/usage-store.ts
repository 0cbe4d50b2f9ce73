/** What a principal has used in one quota window. */
export interface UsageCounters {
  readonly requests: number;
  /** Model tokens, input plus output. */
  readonly tokens: number;
}

export interface UsageWindow {
  readonly principal: string;
  /** Epoch milliseconds at which the window starts. */
  readonly start: number;
  /** Epoch milliseconds at which the window ends; its counters may be dropped after that. */
  readonly end: number;
}

export interface UsageStore {
  /**
   * Atomically adds to a principal's counters of one window (creating them at zero) and returns
   * the totals after the addition, so that concurrent requests never both see the last slot free.
   */
  add(window: UsageWindow, delta: Partial<UsageCounters>): Promise<UsageCounters>;
}
