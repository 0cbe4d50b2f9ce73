import type { PipelinePorts } from '../core/pipeline.js';
import type { ReadinessProbe } from './readiness.js';

/** A session id no client can create (`#` is not allowed in ids): reading it touches no real session. */
const PROBE_SESSION = 'readiness#probe';
const PROBE_TEXT = 'readiness probe';

/**
 * One probe per backend the pipeline uses, each the cheapest real call of its port: a session read,
 * one embedding, a top-1 query, one guardrail check on a harmless text, and a generation of a few
 * tokens. Built from the configured ports, so it checks exactly what serves requests.
 */
export function pipelineProbes(
  ports: Pick<PipelinePorts, 'embedder' | 'index' | 'generator' | 'guardrail' | 'sessions'>,
): ReadinessProbe[] {
  return [
    { name: 'sessions', check: async () => void (await ports.sessions.recent(PROBE_SESSION, 1)) },
    {
      name: 'embedder',
      check: async (abortSignal) =>
        void (await ports.embedder.embed({ texts: [PROBE_TEXT], purpose: 'query', abortSignal })),
    },
    {
      name: 'index',
      // A unit vector of the embedder's dimension: a dimension the index does not have fails here.
      check: async (abortSignal) => {
        const vector = Array.from({ length: ports.embedder.dimensions }, (_, i) => (i === 0 ? 1 : 0));
        await ports.index.query({ text: PROBE_TEXT, vector, topK: 1, abortSignal });
      },
    },
    {
      name: 'guardrail',
      check: async (abortSignal) =>
        void (await ports.guardrail.check({ text: PROBE_TEXT, source: 'INPUT', abortSignal })),
    },
    {
      name: 'generator',
      check: async (abortSignal) =>
        void (await ports.generator.generate({
          question: 'Reply with the single word OK.',
          passages: [],
          history: [],
          params: { maxTokens: 5, temperature: 0 },
          abortSignal,
        })),
    },
  ];
}
