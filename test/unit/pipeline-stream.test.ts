import { describe, expect, it } from 'vitest';
import { StreamingCitations } from '../../src/core/citations.js';
import { checkedStream, lastSentenceEnd } from '../../src/core/checked-stream.js';
import { RagPipeline, WITHHELD_QUERY, type AnswerEvent } from '../../src/core/pipeline.js';
import { defaultParams } from '../../src/core/protocol/params.js';
import type { GenerateChunk } from '../../src/core/ports/generator.js';
import type { Guardrail } from '../../src/core/ports/guardrail.js';
import type { Turn } from '../../src/core/ports/types.js';
import { recordingPorts } from '../fakes/recording-ports.js';

async function* deltas(...texts: string[]): AsyncGenerator<GenerateChunk> {
  for (const text of texts) yield { type: 'text', text };
  yield { type: 'finish', citations: [], usage: { inputTokens: 4, outputTokens: texts.length } };
}

async function drain<T, R>(generator: AsyncGenerator<T, R>): Promise<{ items: T[]; result: R }> {
  const items: T[] = [];
  let step = await generator.next();
  while (!step.done) {
    items.push(step.value);
    step = await generator.next();
  }
  return { items, result: step.value };
}

/** Blocks any text containing the word, as a deny list would. */
const denying = (word: string): Guardrail & { seen: string[] } => {
  const seen: string[] = [];
  return {
    seen,
    check: async ({ text }) => {
      seen.push(text);
      return text.includes(word)
        ? {
            action: 'INTERVENED',
            output: 'Blocked.',
            assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' }],
          }
        : { action: 'NONE', assessments: [] };
    },
  };
};

describe('Class: StreamingCitations', () => {
  it('numbers passages in the order they are first cited, across split markers', () => {
    // Prepare
    const citations = new StreamingCitations(5);
    // Act
    const text =
      ['Ports [3', '] and paths [1]. Again [', '3] and [9].'].map((t) => citations.push(t)).join('') +
      citations.flush();
    // Assess
    expect(text).toBe('Ports [1] and paths [2]. Again [1] and [9].');
    expect(citations.order).toEqual([3, 1]);
  });
});

describe('Function: checkedStream', () => {
  it('releases text at sentence boundaries, after checking everything so far', async () => {
    // Prepare
    const guardrail = denying('never');
    // Act
    const { items, result } = await drain(
      checkedStream({
        chunks: deltas('First sen', 'tence [2]. Second', ' one [1]. Tail'),
        guardrail,
        passageCount: 2,
      }),
    );
    // Assess
    expect(items).toEqual(['First sentence [1]. ', 'Second one [2]. ', 'Tail']);
    expect(guardrail.seen).toEqual([
      'First sentence [1]. ',
      'First sentence [1]. Second one [2]. ',
      'First sentence [1]. Second one [2]. Tail',
    ]);
    expect(result).toEqual({
      text: 'First sentence [1]. Second one [2]. Tail',
      order: [2, 1],
      usage: { inputTokens: 4, outputTokens: 3 },
      checks: [],
    });
  });

  it('ends the stream with the guardrail message at the first blocked sentence and stops the generator', async () => {
    // Prepare
    let pulledAfterBlock = false;
    async function* model(): AsyncGenerator<GenerateChunk> {
      yield { type: 'text', text: 'Fine start [1]. ' };
      yield { type: 'text', text: 'Then the secret [2]. ' };
      yield { type: 'text', text: 'More.' };
      pulledAfterBlock = true;
      yield { type: 'finish', citations: [1, 2], usage: { inputTokens: 1, outputTokens: 1 } };
    }
    // Act
    const { items, result } = await drain(
      checkedStream({ chunks: model(), guardrail: denying('secret'), passageCount: 2 }),
    );
    // Assess
    expect(items).toEqual(['Fine start [1]. ', 'Blocked.']);
    expect(result.text).toBe('Fine start [1]. Blocked.');
    expect(result.order).toEqual([1]);
    expect(result.checks.map((c) => c.action)).toEqual(['INTERVENED']);
    expect(pulledAfterBlock).toBe(false);
  });

  it('sends the masked form of a sentence the guardrail anonymized', async () => {
    // Prepare
    const masking: Guardrail = {
      check: async ({ text }) =>
        text.includes('@')
          ? {
              action: 'INTERVENED',
              output: text.replace(/\S+@\S+/, '{EMAIL}'),
              assessments: [{ policy: 'sensitiveInformationPolicy', type: 'EMAIL', action: 'ANONYMIZED' }],
            }
          : { action: 'NONE', assessments: [] },
    };
    // Act
    const { items } = await drain(
      checkedStream({
        chunks: deltas('Hello there. ', 'Mail ops@x.io now. ', 'Bye.'),
        guardrail: masking,
        passageCount: 0,
      }),
    );
    // Assess
    expect(items.join('')).toBe('Hello there. Mail {EMAIL} now. Bye.');
    expect(items.join('')).not.toContain('ops@x.io');
  });

  it('finds sentence ends only where whitespace follows', () => {
    // Assess
    expect(lastSentenceEnd('Version 3.5 is out. Next')).toBe(20);
    expect(lastSentenceEnd('No end yet')).toBe(-1);
    expect(lastSentenceEnd('Line one\nline two')).toBe(9);
  });
});

describe('Class: RagPipeline (streaming)', () => {
  const collect = async (events: AsyncIterable<AnswerEvent>) => {
    const all: AnswerEvent[] = [];
    for await (const event of events) all.push(event);
    return all;
  };

  it('stores the turn before the last event and ends with the complete answer', async () => {
    // Prepare
    const ports = recordingPorts({ delays: { append: 30 } });
    const pipeline = new RagPipeline(ports);
    // Act
    const stream = await pipeline.answerStream({
      query: 'q',
      sessionId: 's1',
      principal: 'p',
      params: defaultParams,
    });
    const order: string[] = [];
    for await (const event of stream.events)
      order.push(event.type === 'answer' ? `answer(stored=${ports.appended.length})` : 'text');
    // Assess
    expect(stream.sessionId).toBe('s1');
    expect(order).toEqual(['text', 'answer(stored=1)']);
    expect(ports.appended[0]).toMatchObject({ sessionId: 's1', query: 'q', response: 'Answer [1].' });
  });

  it('gives the same answer as the buffered path', async () => {
    // Prepare
    const ports = recordingPorts();
    const pipeline = new RagPipeline(ports);
    // Act
    const buffered = await pipeline.answer({ query: 'q', principal: 'p', params: defaultParams });
    const events = await collect(
      (await pipeline.answerStream({ query: 'q', principal: 'p', params: defaultParams })).events,
    );
    // Assess
    const last = events.at(-1)!;
    expect(last.type).toBe('answer');
    if (last.type !== 'answer') return;
    expect(last.answer.response).toBe(buffered.response);
    expect(last.answer.sources).toEqual(buffered.sources);
    expect(
      events
        .filter((e) => e.type === 'text')
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join(''),
    ).toBe(buffered.response);
  });

  it('fails before any event when retrieval fails, so the caller still gets an HTTP error', async () => {
    // Prepare
    const ports = recordingPorts();
    const failing = {
      ...ports,
      index: { ...ports.index, query: async () => Promise.reject(new Error('down')) },
    };
    // Act
    const attempt = new RagPipeline(failing).answerStream({
      query: 'q',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    await expect(attempt).rejects.toThrow('down');
  });

  it('uses history sent by the caller, reads and stores no session', async () => {
    // Prepare
    const ports = recordingPorts();
    const history: Turn[] = [
      { sessionId: '', query: 'How long do sessions live?', response: '30 days.', sources: [], createdAt: 0 },
    ];
    // Act
    const answer = await new RagPipeline(ports).answer({
      query: 'And after?',
      history,
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    expect(answer.sessionId).toBeUndefined();
    expect(answer.trace.retrievalQuestion).toBe('How long do sessions live? And after?');
    expect(ports.calls.map((c) => c.port)).not.toContain('recent');
    expect(ports.calls.map((c) => c.port)).not.toContain('claim');
    expect(ports.appended).toHaveLength(0);
  });
});

describe('Class: RagPipeline (guardrail attached to the model)', () => {
  it('answers with the guardrail message and withholds a question the model guardrail blocked', async () => {
    // Prepare
    const ports = recordingPorts();
    const guarded = {
      ...ports,
      generator: {
        ...ports.generator,
        generate: async () => ({
          text: 'Sorry.',
          citations: [],
          usage: { inputTokens: 5, outputTokens: 1 },
          guardrail: {
            action: 'INTERVENED' as const,
            output: 'Sorry.',
            source: 'INPUT' as const,
            assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' as const }],
          },
        }),
      },
    };
    // Act
    const answer = await new RagPipeline(guarded).answer({
      query: 'bad words',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    expect(answer.response).toBe('Sorry.');
    expect(answer.guardrail).toEqual({
      action: 'INTERVENED',
      assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED', source: 'INPUT' }],
    });
    expect(ports.appended[0]!.query).toBe(WITHHELD_QUERY);
    expect(ports.calls.filter((c) => c.port === 'check')).toHaveLength(1);
  });
});
