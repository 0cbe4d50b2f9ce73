/**
 * Streaming (issues 7.4 and 12): time to the first answer text of a streamed chat completion, with
 * the fake Bedrock's ConverseStream emitting tokens after a first-token delay, in both guardrail
 * stream modes. `async` sends text as generated while the guardrail checks beside: its first text
 * should come within 1.1× of what must happen before the first token can exist (embed + retrieve,
 * beside which the input guardrail runs, plus the first-token delay). `sync` sends only text the
 * guardrail passed: its first text should come within 1.1× of that plus the rest of the first
 * sentence plus one guardrail call.
 */
import { FIRST_SENTENCE_TOKENS } from './support/grounded-answer.js';
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
      if (!response.body.includes('"finish_reason":"stop"'))
        throw new Error(`the stream did not finish normally: ${response.body.slice(-500)}`);
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

/** `sync`: the first token, the rest of the first sentence, then one output guardrail call. */
export function firstCheckedSentenceMs(l: InjectedLatencies, sentenceTokens: number): number {
  return beforeFirstTokenMs(l) + (sentenceTokens - 1) * l.tokenMs + l.guardrailMs;
}

const firstByte = (times: readonly StreamTimes[]) => median(times.map((t) => t.firstByteMs));
const firstContent = (times: readonly StreamTimes[]) => median(times.map((t) => t.firstContentMs));
const total = (times: readonly StreamTimes[]) => median(times.map((t) => t.totalMs));
const events = (times: readonly StreamTimes[]) => median(times.map((t) => t.contentEvents));

export async function streaming(): Promise<Section> {
  const questions = (await labeledQuestions()).map(({ question }) => question);
  progress('streamed chat completions, guardrail stream mode async');
  const asynchronous = await measure({ RAG_GUARDRAIL_STREAM_MODE: 'async' }, questions);
  progress('the same in sync mode (each sentence released after the guardrail passed it)');
  const synchronous = await measure({ RAG_GUARDRAIL_STREAM_MODE: 'sync' }, questions);
  progress('the same without a separate guardrail (RAG_GUARDRAIL=none)');
  const unguarded = await measure({ RAG_GUARDRAIL: 'none' }, questions);

  const l = DEFAULT_LATENCIES;
  const target = beforeFirstTokenMs(l);
  const syncTarget = firstCheckedSentenceMs(l, FIRST_SENTENCE_TOKENS);
  const figures: Figure[] = [
    {
      figure: 'first answer text p50 / (embed + retrieve + first-token delay), async guardrail',
      value: firstContent(asynchronous) / target,
      unit: 'ratio',
      goal: { op: '<=', target: 1.1 },
      note: `${formatValue(firstContent(asynchronous), 'ms')} vs ${formatValue(target, 'ms')}`,
    },
    {
      figure: 'first answer text p50 / (that + first sentence + one guardrail call), sync guardrail',
      value: firstContent(synchronous) / syncTarget,
      unit: 'ratio',
      goal: { op: '<=', target: 1.1 },
      note: `${formatValue(firstContent(synchronous), 'ms')} vs ${formatValue(syncTarget, 'ms')}`,
    },
    {
      figure: 'first SSE byte p50 (opening chunk, no text yet), async',
      value: firstByte(asynchronous),
      unit: 'ms',
      note: `${(firstByte(asynchronous) / target).toFixed(2)}× the target`,
    },
    {
      figure: 'full streamed answer p50, async / sync',
      value: total(asynchronous),
      unit: 'ms',
      note: `${formatValue(total(synchronous), 'ms')} in sync mode; ${events(asynchronous)} vs ${events(synchronous)} text events`,
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
      `the first sentence is ${FIRST_SENTENCE_TOKENS} tokens; sync mode releases it once ApplyGuardrail passed the text so far, async mode sends each token`,
      'at once and checks at sentence boundaries beside the generation, the whole answer once more before the stream ends',
    ],
    details: { latencies: l, asynchronous, synchronous, unguarded },
  };
}

if (isMain(import.meta.url)) await runSection(streaming);
