import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelinePorts } from '../../src/core/pipeline.js';
import type { RetrievedChunk, Turn } from '../../src/core/ports/types.js';

export interface CallRecord {
  readonly port: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RecordingPortsOptions {
  readonly delays?: Partial<
    Record<'embed' | 'query' | 'generate' | 'condense' | 'check' | 'claim' | 'recent' | 'append', number>
  >;
  readonly history?: readonly Turn[];
  readonly owner?: string;
  readonly chunks?: readonly RetrievedChunk[];
}

/**
 * Port doubles in the style of the AI SDK's mock models: each answers after a configurable delay
 * and records when it was called, so tests can assert what ran concurrently.
 */
export function recordingPorts(
  options: RecordingPortsOptions = {},
): PipelinePorts & { calls: CallRecord[]; appended: Turn[] } {
  const calls: CallRecord[] = [];
  const appended: Turn[] = [];
  const t0 = performance.now();
  const timed = async <T>(
    port: keyof NonNullable<RecordingPortsOptions['delays']>,
    value: () => T,
  ): Promise<T> => {
    const startedAt = performance.now() - t0;
    await sleep(options.delays?.[port] ?? 0);
    calls.push({ port, startedAt, endedAt: performance.now() - t0 });
    return value();
  };
  const chunks = options.chunks ?? [
    {
      id: 'c1',
      text: 'Sessions live for thirty days.',
      title: 'Sessions',
      location: 'docs/sessions.md',
      metadata: {},
      score: 1,
    },
  ];
  return {
    calls,
    appended,
    embedder: {
      dimensions: 2,
      embed: ({ texts }) =>
        timed('embed', () => ({
          vectors: texts.map(() => [1, 0]),
          usage: { inputTokens: 1, outputTokens: 0 },
        })),
    },
    index: {
      query: ({ topK }) => timed('query', () => ({ matches: chunks.slice(0, topK) })),
    },
    generator: {
      generate: ({ passages }) =>
        timed('generate', () => ({
          text: `Answer [${passages.length}].`,
          citations: passages.length ? [passages.length] : [],
          usage: { inputTokens: 10, outputTokens: 2 },
        })),
      async *stream({ passages }) {
        const result = await timed('generate', () => ({
          text: `Answer [${passages.length}].`,
          citations: passages.length ? [passages.length] : [],
          usage: { inputTokens: 10, outputTokens: 2 },
        }));
        yield { type: 'text' as const, text: result.text };
        yield { type: 'finish' as const, citations: result.citations, usage: result.usage };
      },
      condense: ({ question, history }) =>
        timed('condense', () => ({
          question: `${history.at(-1)?.query ?? ''} ${question}`,
          usage: { inputTokens: 3, outputTokens: 3 },
        })),
    },
    guardrail: { check: () => timed('check', () => ({ action: 'NONE' as const, assessments: [] })) },
    sessions: {
      claim: (_id, principal) => timed('claim', () => options.owner ?? principal),
      recent: () => timed('recent', () => options.history ?? []),
      append: (turn) => timed('append', () => void appended.push(turn)),
    },
    clock: { now: () => Date.now() },
  };
}
