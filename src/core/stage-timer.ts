import type { Clock } from './ports/clock.js';

export type Stage =
  | 'session'
  | 'guardrail_input'
  | 'condense'
  | 'embed'
  | 'retrieve'
  | 'generate'
  | 'guardrail_output'
  | 'store';

/** Records how long each pipeline stage took; concurrent stages overlap, so the sum can exceed the total. */
export class StageTimer {
  private readonly started: number;
  private readonly spans: Partial<Record<Stage, number>> = {};

  constructor(private readonly clock: Clock) {
    this.started = clock.now();
  }

  async time<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    try {
      return await work();
    } finally {
      this.spans[stage] = (this.spans[stage] ?? 0) + (this.clock.now() - start);
    }
  }

  /** Adds a span measured elsewhere, e.g. a stream whose generation interleaves with sending. */
  add(stage: Stage, ms: number): void {
    this.spans[stage] = (this.spans[stage] ?? 0) + ms;
  }

  /** Milliseconds per stage plus `total` since the timer started. */
  snapshot(): Readonly<Record<string, number>> {
    return { ...this.spans, total: this.clock.now() - this.started };
  }
}
