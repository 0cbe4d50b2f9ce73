import { describe, expect, it } from 'vitest';
import { answerLines } from '../../src/batch/answer-lines.js';
import { BackendUnavailableError } from '../../src/core/errors.js';
import type { Answer, AnswerRequest } from '../../src/core/pipeline.js';

function answerTo(request: AnswerRequest): Answer {
  return {
    response: `answer to ${request.query}`,
    sessionId: request.sessionId ?? `new-${request.query}`,
    sources: [],
    usage: { inputTokens: 2, outputTokens: 3 },
    guardrail: { action: 'NONE' },
    trace: { retrievalQuestion: request.query, retrieved: [], timingsMs: {} },
  };
}

/** A pipeline double whose answers are released by the test, to control completion order. */
function gatedPipeline() {
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  const waiting = new Map<string, () => void>();
  return {
    started,
    release: (query: string) => gates.get(query)?.(),
    /** Resolves once the pipeline has been asked `query`. */
    asked: (query: string) =>
      new Promise<void>((resolve) => (started.includes(query) ? resolve() : waiting.set(query, resolve))),
    pipeline: {
      answer: (request: AnswerRequest) =>
        new Promise<Answer>((resolve, reject) => {
          started.push(request.query);
          waiting.get(request.query)?.();
          gates.set(request.query, () =>
            request.query === 'down'
              ? reject(new BackendUnavailableError('Bedrock'))
              : resolve(answerTo(request)),
          );
        }),
    },
  };
}

async function* linesOf(...lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function collect(iterable: AsyncIterable<string>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const line of iterable) out.push(JSON.parse(line) as Record<string, unknown>);
  return out;
}

const answered = (query: string) => expect.objectContaining({ response: `answer to ${query}` });

describe('answerLines', () => {
  it('keeps input order when later lines finish first, and answers each bad line with its own error', async () => {
    // Prepare
    const gated = gatedPipeline();
    const input = linesOf(
      '{"query":"first"}',
      'not json',
      '{"session_id":"s1"}',
      '',
      '{"query":"second"}',
      '{"query":"down"}',
      '{"query":"third","session_id":"bad id!"}',
    );
    // Act
    const output = collect(
      answerLines(input, { pipeline: gated.pipeline, principal: 'p', concurrency: 4, lineTimeoutMs: 5_000 }),
    );
    await gated.asked('down');
    gated.release('down');
    gated.release('second');
    gated.release('first');
    // Assess
    expect(await output).toEqual([
      answered('first'),
      { error_code: 'BAD_REQUEST', message: 'line 2 is not valid JSON.' },
      { error_code: 'INVALID_PARAMETER_VALUE', message: "line 3 is missing the required field 'query'." },
      {
        error_code: 'BAD_REQUEST',
        message: "line 4 is empty: every line must be a JSON object with a 'query'.",
      },
      answered('second'),
      { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'Bedrock is temporarily unavailable; retry later.' },
      expect.objectContaining({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringMatching(/^line 7: 'session_id'/),
      }),
    ]);
  });

  it('answers the lines of one session in file order, and other lines meanwhile', async () => {
    // Prepare
    const gated = gatedPipeline();
    const input = linesOf(
      '{"query":"s-one","session_id":"s"}',
      '{"query":"s-two","session_id":"s"}',
      '{"query":"other"}',
    );
    // Act
    const output = collect(
      answerLines(input, { pipeline: gated.pipeline, principal: 'p', concurrency: 4, lineTimeoutMs: 5_000 }),
    );
    await gated.asked('other');
    const startedBeforeFirstEnded = [...gated.started];
    gated.release('s-one');
    await gated.asked('s-two');
    gated.release('s-two');
    gated.release('other');
    // Assess
    expect(startedBeforeFirstEnded.sort()).toEqual(['other', 's-one']);
    expect(await output).toEqual([answered('s-one'), answered('s-two'), answered('other')]);
  });

  it('holds at most twice the concurrency of lines, however long the input', async () => {
    // Prepare
    let pulled = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const input = (async function* () {
      for (let i = 0; i < 50; i++) {
        pulled++;
        yield JSON.stringify({ query: `q${i}` });
      }
    })();
    const pipeline = {
      answer: async (request: AnswerRequest) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await Promise.resolve();
        inFlight--;
        return answerTo(request);
      },
    };
    let mostAhead = 0;
    let written = 0;
    // Act
    for await (const _ of answerLines(input, {
      pipeline,
      principal: 'p',
      concurrency: 3,
      lineTimeoutMs: 5_000,
    })) {
      mostAhead = Math.max(mostAhead, pulled - written);
      written++;
    }
    // Assess
    expect(written).toBe(50);
    expect(mostInFlight).toBeLessThanOrEqual(3);
    expect(mostAhead).toBeLessThanOrEqual(6);
  });

  it('hides unexpected failures behind INTERNAL_ERROR and reports them', async () => {
    // Prepare
    const reported: number[] = [];
    const pipeline = { answer: async () => Promise.reject(new Error('secret stack detail')) };
    // Act
    const output = await collect(
      answerLines(linesOf('{"query":"a"}'), {
        pipeline,
        principal: 'p',
        concurrency: 1,
        lineTimeoutMs: 5_000,
        firstLineNumber: 41,
        onInternalError: (line) => reported.push(line),
      }),
    );
    // Assess
    expect(output).toEqual([
      {
        error_code: 'INTERNAL_ERROR',
        message: 'Line 41 could not be answered because of an internal error.',
      },
    ]);
    expect(reported).toEqual([41]);
  });
});
