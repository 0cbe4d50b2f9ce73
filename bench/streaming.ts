/**
 * Streaming (issue 7.4): time to the first server-sent-event byte and to the full answer of a
 * streamed chat completion, with the fake Bedrock's ConverseStream emitting tokens after a
 * first-token delay. The goal: the first byte within 1.1× of the critical path before generation
 * (embed + retrieve, beside which the input guardrail runs) plus the fake's first-token delay.
 */
import { DEFAULT_LATENCIES, type InjectedLatencies } from './support/injected-latencies.js';
import { startFakeServing } from './support/fake-serving.js';
import { formatValue, type Figure, type Section } from './support/report.js';
import { labeledQuestions } from './support/sample-corpus.js';
import { isMain, progress, runSection } from './support/script.js';
import { median } from './support/stats.js';
import { closeTimedRequests, timedPost } from './support/timed-request.js';

const REQUESTS = Math.max(10, Number(process.env.BENCH_STREAMING_REQUESTS ?? 20));
const WARM_UP = 3;

interface StreamTimes {
  /** The first byte of the body: OpenAI's opening chunk (role, empty content). */
  readonly firstByteMs: number;
  /** The first chunk that carries answer text. */
  readonly firstContentMs: number;
  readonly totalMs: number;
  readonly contentEvents: number;
}

async function measure(
  environment: Record<string, string>,
  questions: readonly string[],
): Promise<StreamTimes[]> {
  const serving = await startFakeServing({ environment });
  try {
    const times: StreamTimes[] = [];
    for (let i = 0; i < WARM_UP + REQUESTS; i++) {
      const response = await timedPost(
        serving.chatCompletionsUrl,
        {
          model: 'rag',
          stream: true,
          messages: [{ role: 'user', content: questions[i % questions.length] }],
        },
        serving.headers,
      );
      if (response.status !== 200 || !response.body.includes('data: [DONE]')) {
        throw new Error(`stream answered ${response.status}: ${response.body.slice(0, 500)}`);
      }
      const hasText = (text: string) => /"content":"[^"]/.test(text);
      const contentEvents = response.body.split('\n\n').filter(hasText).length;
      const firstContentMs = response.chunks.find((chunk) => hasText(chunk.text))?.atMs ?? Number.NaN;
      if (i >= WARM_UP) {
        times.push({
          firstByteMs: response.firstByteMs,
          firstContentMs,
          totalMs: response.totalMs,
          contentEvents,
        });
      }
    }
    return times;
  } finally {
    closeTimedRequests();
    await serving.close();
  }
}

/** Injected latency before the first token can exist: embed + retrieve (input guardrail beside), then the first token. */
export function beforeFirstTokenMs(l: InjectedLatencies): number {
  return Math.max(l.embedMs + l.retrieveMs, l.guardrailMs) + l.firstTokenMs;
}

export async function streaming(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress('streamed chat completions, guardrail checked per released sentence (as deployed)');
  const deployed = await measure({}, questions);
  progress('the same without a separate guardrail (RAG_GUARDRAIL=none)');
  const unguarded = await measure({ RAG_GUARDRAIL: 'none' }, questions);

  const l = DEFAULT_LATENCIES;
  const target = beforeFirstTokenMs(l);
  const firstByte = (times: readonly StreamTimes[]) => median(times.map((t) => t.firstByteMs));
  const firstContent = (times: readonly StreamTimes[]) => median(times.map((t) => t.firstContentMs));
  const total = (times: readonly StreamTimes[]) => median(times.map((t) => t.totalMs));
  const figures: Figure[] = [
    {
      figure: 'first answer text p50 / (embed + retrieve + first-token delay)',
      value: firstContent(deployed) / target,
      unit: 'ratio',
      goal: { op: '<=', target: 1.1 },
      note: `${formatValue(firstContent(deployed), 'ms')} vs ${formatValue(target, 'ms')}`,
    },
    {
      figure: 'first SSE byte p50 (opening chunk, no text yet)',
      value: firstByte(deployed),
      unit: 'ms',
      note: `${(firstByte(deployed) / target).toFixed(2)}× the target`,
    },
    {
      figure: 'full streamed answer p50',
      value: total(deployed),
      unit: 'ms',
      note: `first text at ${((firstContent(deployed) / total(deployed)) * 100).toFixed(0)}% of it`,
    },
    {
      figure: 'first answer text p50 / target, without a separate guardrail',
      value: firstContent(unguarded) / target,
      unit: 'ratio',
      note: `${formatValue(firstContent(unguarded), 'ms')}; full answer ${formatValue(total(unguarded), 'ms')}`,
    },
  ];
  return {
    name: 'streaming',
    title: 'Streaming',
    figures,
    findings: [
      `fake ConverseStream: first token after ${l.firstTokenMs} ms, then one every ${l.tokenMs} ms; embed ${l.embedMs}, retrieve ${l.retrieveMs}, guardrail ${l.guardrailMs} ms`,
      'the opening chunk (role only) goes out once retrieval is done; answer text is released at sentence boundaries after the output guardrail',
      `has checked it, so the first text waits for the whole first sentence (${l.tokenMs} ms per token) and one ApplyGuardrail call`,
    ],
    details: { latencies: l, deployed, unguarded },
  };
}

if (isMain(import.meta.url)) await runSection(streaming);
