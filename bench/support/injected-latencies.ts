/** Latencies injected into the backends of the invocations path, and what they add up to. */
export interface InjectedLatencies {
  /** Every session store call (claim, history, store). */
  readonly sessionMs: number;
  /** The query embedding. */
  readonly embedMs: number;
  /** The vector index query. */
  readonly retrieveMs: number;
  /** Generation, until the whole answer. */
  readonly generateMs: number;
  /** Each guardrail check (input beside retrieval, output after generation). */
  readonly guardrailMs: number;
  /** A streamed generation: before the first token, and between tokens. */
  readonly firstTokenMs: number;
  readonly tokenMs: number;
}

/** The example figures, plus a guardrail as deployed stages have one. */
export const DEFAULT_LATENCIES: InjectedLatencies = {
  sessionMs: 10,
  embedMs: 30,
  retrieveMs: 40,
  generateMs: 300,
  guardrailMs: 20,
  firstTokenMs: 100,
  tokenMs: 10,
};

/** Backends answering at once: what is left is our own work (and the fakes'). */
export const NO_LATENCIES: InjectedLatencies = {
  sessionMs: 0,
  embedMs: 0,
  retrieveMs: 0,
  generateMs: 0,
  guardrailMs: 0,
  firstTokenMs: 0,
  tokenMs: 0,
};

/**
 * The injected latencies on the critical path of a first turn (DESIGN 4): the session claim and the
 * input guardrail run beside embed + retrieve, then generate, check the output, store the turn.
 */
export function criticalPathMs(l: InjectedLatencies): number {
  return (
    Math.max(l.sessionMs, l.embedMs + l.retrieveMs, l.guardrailMs) +
    l.generateMs +
    l.guardrailMs +
    l.sessionMs
  );
}

export function describeLatencies(l: InjectedLatencies): string {
  return `session ${l.sessionMs} ms per call, embed ${l.embedMs}, retrieve ${l.retrieveMs}, generate ${l.generateMs}, guardrail ${l.guardrailMs} ms`;
}
