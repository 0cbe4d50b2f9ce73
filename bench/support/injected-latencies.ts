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
}

/** The example figures, plus a guardrail as deployed stages have one. */
export const DEFAULT_LATENCIES: InjectedLatencies = {
  sessionMs: 10,
  embedMs: 30,
  retrieveMs: 40,
  generateMs: 300,
  guardrailMs: 20,
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
