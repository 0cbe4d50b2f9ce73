import { describe, expect, it } from 'vitest';
import { StreamingCitations } from '../../src/core/citations.js';
import { checkedStream, lastSentenceEnd } from '../../src/core/checked-stream.js';
import { RagPipeline, WITHHELD_QUERY, type AnswerEvent } from '../../src/core/pipeline.js';
import { defaultParams } from '../../src/core/protocol/params.js';
import type { GenerateChunk } from '../../src/core/ports/generator.js';
import type { Guardrail, GuardrailResult } from '../../src/core/ports/guardrail.js';
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

/** Masks e-mail addresses, as a sensitive-information policy does. */
const maskingEmails = (): Guardrail => ({
  check: async ({ text }) =>
    text.includes('@')
      ? {
          action: 'INTERVENED',
          output: text.replace(/\S+@\S+/, '{EMAIL}'),
          assessments: [{ policy: 'sensitiveInformationPolicy', type: 'EMAIL', action: 'ANONYMIZED' }],
        }
      : { action: 'NONE', assessments: [] },
});

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
      stopped: false,
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
    const masking = maskingEmails();
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

/**
 * A guardrail whose verdicts the test hands out one by one, so a test can tell what was sent
 * before a check answered: no clock involved.
 */
const heldGuardrail = () => {
  const waiting: { text: string; answer: (result: GuardrailResult) => void }[] = [];
  const arrived: (() => void)[] = [];
  return {
    guardrail: {
      check: ({ text }) =>
        new Promise<GuardrailResult>((answer) => {
          waiting.push({ text, answer });
          for (const wake of arrived.splice(0)) wake();
        }),
    } satisfies Guardrail,
    /** The next check, once it has been asked for. */
    next: async () => {
      while (waiting.length === 0) await new Promise<void>((wake) => arrived.push(wake));
      return waiting.shift()!;
    },
  };
};
const pass: GuardrailResult = { action: 'NONE', assessments: [] };
const block: GuardrailResult = {
  action: 'INTERVENED',
  output: 'Blocked.',
  assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' }],
};

describe('Function: checkedStream, async mode', () => {
  it('sends text as it is generated, while the guardrail is still checking it', async () => {
    // Prepare
    const { guardrail, next } = heldGuardrail();
    const stream = checkedStream({
      chunks: deltas('First [2]. ', 'Second [1]. ', 'Tail'),
      guardrail,
      passageCount: 2,
      mode: 'async',
    });
    // Act
    const first = await stream.next();
    const check = await next();
    const second = await stream.next();
    const third = await stream.next();
    check.answer(pass);
    const ending = stream.next();
    (await next()).answer(pass);
    const done = await ending;
    // Assess: all text went out before the first check had answered.
    expect([first.value, second.value, third.value]).toEqual(['First [1]. ', 'Second [2]. ', 'Tail']);
    expect(check.text).toBe('First [1]. ');
    expect(done).toEqual({
      done: true,
      value: {
        text: 'First [1]. Second [2]. Tail',
        order: [2, 1],
        usage: { inputTokens: 4, outputTokens: 3 },
        checks: [],
        stopped: false,
      },
    });
  });

  it('checks the whole answer before the stream ends', async () => {
    // Prepare
    const guardrail = denying('never');
    // Act
    const { items, result } = await drain(
      checkedStream({ chunks: deltas('One. ', 'Two. ', 'Three'), guardrail, passageCount: 0, mode: 'async' }),
    );
    // Assess
    expect(items.join('')).toBe('One. Two. Three');
    expect(guardrail.seen.at(-1)).toBe('One. Two. Three');
    expect(result.stopped).toBe(false);
  });

  it('ends the stream with the guardrail message when a check intervenes, stops the model and stores only the message', async () => {
    // Prepare
    const { guardrail, next } = heldGuardrail();
    let pulledAfterBlock = false;
    async function* model(): AsyncGenerator<GenerateChunk> {
      yield { type: 'text', text: 'The secret is out [1]. ' };
      yield { type: 'text', text: 'More' };
      yield { type: 'text', text: ' text.' };
      pulledAfterBlock = true;
      yield { type: 'finish', citations: [1], usage: { inputTokens: 1, outputTokens: 3 } };
    }
    const stream = checkedStream({ chunks: model(), guardrail, passageCount: 1, mode: 'async' });
    // Act
    const first = await stream.next();
    const second = await stream.next();
    (await next()).answer(block);
    const rest = await drain(stream);
    // Assess
    expect([first.value, second.value, ...rest.items]).toEqual([
      'The secret is out [1]. ',
      'More',
      ' Blocked.',
    ]);
    expect(rest.result.text).toBe('Blocked.');
    expect(rest.result.order).toEqual([]);
    expect(rest.result.stopped).toBe(true);
    expect(pulledAfterBlock).toBe(false);
  });

  it('stops the stream without masking what was sent when the guardrail anonymizes, and stores the masked text', async () => {
    // Prepare
    const masking = maskingEmails();
    // Act
    const { items, result } = await drain(
      checkedStream({
        chunks: deltas('Mail ops@x.io now. ', 'Bye.'),
        guardrail: masking,
        passageCount: 0,
        mode: 'async',
      }),
    );
    // Assess
    expect(items.join('')).toContain('ops@x.io');
    expect(result.text).toBe('Mail {EMAIL} now. ');
    expect(result.stopped).toBe(true);
  });

  it('fails the stream when a check fails while the model streams', async () => {
    // Prepare
    const failing: Guardrail = { check: () => Promise.reject(new Error('guardrail down')) };
    // Act
    const attempt = drain(
      checkedStream({
        chunks: deltas('One. ', 'Two. ', 'Three.'),
        guardrail: failing,
        passageCount: 0,
        mode: 'async',
      }),
    );
    // Assess
    await expect(attempt).rejects.toThrow('guardrail down');
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
