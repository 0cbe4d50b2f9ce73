/**
 * Streaming (issue 7.4): time to the first server-sent-event byte against time to the full answer,
 * with a streaming fake generator. Streamed answers (the chat route, Generator.stream) arrive with
 * the cloud backends work; until they are on main there is nothing to stream, and this benchmark
 * says so instead of measuring something else.
 */
import type { Section } from './support/report.js';
import { isMain, runSection } from './support/script.js';

export async function streaming(): Promise<Section> {
  const reason = 'no streaming route on this branch yet (it comes with the cloud backends work)';
  return {
    name: 'streaming',
    title: 'Streaming',
    figures: [
      {
        figure: 'first SSE byte p50 / (critical path before generation + first-token delay)',
        value: Number.NaN,
        unit: 'ratio',
        goal: { op: '<=', target: 1.1 },
        notRun: reason,
      },
    ],
  };
}

if (isMain(import.meta.url)) await runSection(streaming);
