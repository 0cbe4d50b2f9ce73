import { randomUUID } from 'node:crypto';
import { PermissionDeniedError } from './errors.js';
import type { Embedder } from './ports/embedder.js';
import type { GenerateOptions, Generator } from './ports/generator.js';
import type { Guardrail, GuardrailAssessment, GuardrailResult, GuardrailSource } from './ports/guardrail.js';
import type { SessionStore } from './ports/session-store.js';
import type { CitedSource, RetrievedChunk, Turn, Usage } from './ports/types.js';
import type { VectorQuery } from './ports/vector-index.js';
import type { Clock } from './ports/clock.js';
import type { RequestParams } from './protocol/params.js';
import { StageTimer } from './stage-timer.js';
import { renumberCitations } from './citations.js';
import { checkedStream, type GuardrailStreamMode, type SourcedCheck } from './checked-stream.js';
import { Defaults } from '../shared/limits.js';

export interface PipelinePorts {
  readonly embedder: Embedder;
  readonly index: VectorQuery;
  readonly generator: Generator;
  readonly guardrail: Guardrail;
  readonly sessions: SessionStore;
  readonly clock: Clock;
}

export interface PipelineOptions {
  /** Turns of history given to condensing and generation. @default 6 */
  readonly historyTurns?: number;
  /**
   * The output guardrail checks streamed text at a sentence boundary once this many characters
   * wait; each check covers the text so far, so raise it to make fewer guardrail calls.
   * @default 1 (every sentence)
   */
  readonly streamReleaseChars?: number;
  /**
   * `sync`: streamed text waits for the output guardrail; `async`: it is sent as generated while
   * the guardrail checks it in parallel (see checkedStream). @default 'sync'
   */
  readonly guardrailStreamMode?: GuardrailStreamMode;
}

export interface AnswerRequest {
  readonly query: string;
  /** Absent: a new session is started and its id returned (unless `history` is given). */
  readonly sessionId?: string;
  /**
   * The conversation so far, sent by the caller with every request (OpenAI-style chat without a
   * session): used instead of a stored session, and nothing is stored.
   */
  readonly history?: readonly Turn[];
  readonly principal: string;
  readonly params: RequestParams;
  /** Retrieval partition of the caller's tenant. */
  readonly namespace?: string;
  readonly abortSignal?: AbortSignal;
}

export interface GuardrailOutcome {
  readonly action: 'NONE' | 'INTERVENED';
  readonly assessments?: readonly (GuardrailAssessment & { readonly source: GuardrailSource })[];
}

export interface Answer {
  readonly response: string;
  /** Absent when the caller carried the history itself (`AnswerRequest.history`). */
  readonly sessionId?: string;
  readonly sources: readonly CitedSource[];
  readonly usage: Usage;
  readonly guardrail: GuardrailOutcome;
  /** A streamed answer the guardrail cut short: the caller got no complete answer. */
  readonly stoppedByGuardrail?: boolean;
  readonly trace: {
    readonly retrievalQuestion: string;
    readonly retrieved: readonly { readonly id: string; readonly score: number }[];
    readonly timingsMs: Readonly<Record<string, number>>;
  };
}

/** An answer as it is generated: text to send, then the complete answer once the turn is stored. */
export type AnswerEvent =
  { readonly type: 'text'; readonly text: string } | { readonly type: 'answer'; readonly answer: Answer };

export interface AnswerStream {
  /** Known before any text: the session the turn will be stored in. */
  readonly sessionId?: string;
  readonly events: AsyncIterable<AnswerEvent>;
}

/** Stored instead of a question the input guardrail blocked, so blocked text (e.g. PII) is never persisted. */
export const WITHHELD_QUERY = '(withheld: blocked by the input guardrail)';

const noUsage: Usage = { inputTokens: 0, outputTokens: 0 };
const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
});

/** Everything before generation: retrieval done, ownership and the input checked. */
interface Prepared {
  readonly request: AnswerRequest;
  readonly timer: StageTimer;
  /** Undefined when the caller carries the history and nothing is stored. */
  readonly sessionId: string | undefined;
  readonly turns: readonly Turn[];
  readonly retrievalQuestion: string;
  readonly matches: readonly RetrievedChunk[];
  readonly input: SourcedCheck;
  /** The question to generate from: the masked one when the input guardrail anonymized it. */
  readonly question: string;
  readonly usage: Usage;
}

/** What generation produced, ready to store and return. */
interface Generated {
  readonly response: string;
  readonly cited: readonly RetrievedChunk[];
  readonly usage: Usage;
  readonly checks: readonly SourcedCheck[];
  readonly stoppedByGuardrail?: boolean;
}

/**
 * The RAG pipeline over ports. Independent stages run concurrently: the session read, the
 * ownership claim, the input guardrail and the embedding of the raw question all start at once,
 * so a first turn never waits for an empty history read.
 */
export class RagPipeline {
  private readonly historyTurns: number;
  private readonly streamReleaseChars: number;
  private readonly guardrailStreamMode: GuardrailStreamMode;

  constructor(
    private readonly ports: PipelinePorts,
    options: PipelineOptions = {},
  ) {
    this.historyTurns = options.historyTurns ?? Defaults.historyTurns;
    this.streamReleaseChars = options.streamReleaseChars ?? 1;
    this.guardrailStreamMode = options.guardrailStreamMode ?? 'sync';
  }

  async answer(request: AnswerRequest): Promise<Answer> {
    const prepared = await this.prepare(request);
    const generated = isBlocked(prepared.input) ? blockedAtInput(prepared) : await this.generate(prepared);
    return this.finish(prepared, generated);
  }

  /**
   * Streams the answer. Everything up to generation (history, retrieval, the input check) runs
   * before this resolves, so those failures still surface as an HTTP error; the text then
   * arrives as the guardrail stream mode lets it (sentence by sentence after the output check, or
   * as generated with the check beside it), and the last event (the complete answer) comes only
   * after the whole answer passed the output check and the turn is stored.
   */
  async answerStream(request: AnswerRequest): Promise<AnswerStream> {
    const prepared = await this.prepare(request);
    return {
      ...(prepared.sessionId !== undefined && { sessionId: prepared.sessionId }),
      events: this.streamEvents(prepared),
    };
  }

  private async *streamEvents(prepared: Prepared): AsyncGenerator<AnswerEvent> {
    if (isBlocked(prepared.input)) {
      const generated = blockedAtInput(prepared);
      yield { type: 'text', text: generated.response };
      yield { type: 'answer', answer: await this.finish(prepared, generated) };
      return;
    }
    const { request, timer, matches } = prepared;
    const started = this.ports.clock.now();
    const stream = checkedStream({
      chunks: this.ports.generator.stream(generateOptions(prepared)),
      guardrail: this.ports.guardrail,
      passageCount: matches.length,
      minReleaseChars: this.streamReleaseChars,
      mode: this.guardrailStreamMode,
      ...(request.abortSignal && { abortSignal: request.abortSignal }),
    });
    let step = await stream.next();
    while (!step.done) {
      yield { type: 'text', text: step.value };
      step = await stream.next();
    }
    timer.add('generate', this.ports.clock.now() - started);
    const outcome = step.value;
    const generated: Generated = {
      response: outcome.text,
      cited: outcome.order.map((n) => matches[n - 1]).filter((chunk) => chunk !== undefined),
      usage: addUsage(prepared.usage, outcome.usage),
      checks: [prepared.input, ...outcome.checks],
      ...(outcome.stopped && { stoppedByGuardrail: true }),
    };
    yield { type: 'answer', answer: await this.finish(prepared, generated) };
  }

  private async prepare(request: AnswerRequest): Promise<Prepared> {
    const { embedder, index, generator, guardrail, sessions, clock } = this.ports;
    const { query, principal, params, abortSignal } = request;
    const timer = new StageTimer(clock);
    const stateless = request.history !== undefined;
    const isNewSession = request.sessionId === undefined;
    const sessionId = stateless ? undefined : (request.sessionId ?? randomUUID());

    const owner =
      sessionId === undefined
        ? Promise.resolve(principal)
        : timer.time('session', () => sessions.claim(sessionId, principal));
    const history =
      stateless || isNewSession
        ? Promise.resolve<readonly Turn[]>((request.history ?? []).slice(-this.historyTurns))
        : timer.time('session', () => sessions.recent(sessionId as string, this.historyTurns));
    const inputCheck = timer.time('guardrail_input', () =>
      guardrail.check({ text: query, source: 'INPUT', abortSignal }),
    );
    const rawEmbedding = timer.time('embed', () =>
      embedder.embed({ texts: [query], purpose: 'query', abortSignal }),
    );
    // Settled later or not at all (follow-ups re-embed); never an unhandled rejection.
    for (const pending of [owner, history, inputCheck, rawEmbedding]) pending.catch(() => undefined);

    const turns = await history;
    let usage = noUsage;
    let retrievalQuestion = query;
    if (turns.length > 0) {
      const condensed = await timer.time('condense', () =>
        generator.condense({ question: query, history: turns, abortSignal }),
      );
      retrievalQuestion = condensed.question;
      usage = addUsage(usage, condensed.usage);
    }
    const embedding =
      retrievalQuestion === query
        ? await rawEmbedding
        : await timer.time('embed', () =>
            embedder.embed({ texts: [retrievalQuestion], purpose: 'query', abortSignal }),
          );
    const { matches } = await timer.time('retrieve', () =>
      index.query({
        text: retrievalQuestion,
        vector: embedding.vectors[0] ?? [],
        topK: params.topK,
        ...(params.filter && { filter: params.filter }),
        ...(request.namespace !== undefined && { namespace: request.namespace }),
        abortSignal,
      }),
    );

    const ownerOnRecord = await owner;
    if (ownerOnRecord !== principal) {
      throw new PermissionDeniedError(`Session '${sessionId}' belongs to another principal.`);
    }

    const input = { ...(await inputCheck), source: 'INPUT' as const };
    // An input guardrail that only masked (e.g. anonymized PII) lets the masked question through,
    // and only the masked text is generated from and stored.
    const question =
      input.action === 'INTERVENED' && !isBlocked(input) && input.output !== undefined ? input.output : query;
    return { request, timer, sessionId, turns, retrievalQuestion, matches, input, question, usage };
  }

  private async generate(prepared: Prepared): Promise<Generated> {
    const { matches, timer } = prepared;
    const generated = await timer.time('generate', () =>
      this.ports.generator.generate(generateOptions(prepared)),
    );
    const usage = addUsage(prepared.usage, generated.usage);
    const { text, order } = renumberCitations(generated.text, generated.citations);
    const cited = order.map((n) => matches[n - 1]).filter((chunk) => chunk !== undefined);
    if (generated.guardrail?.action === 'INTERVENED') {
      // A guardrail attached to the model call already judged this text; its message is the answer.
      return { response: text, cited, usage, checks: [prepared.input, generated.guardrail] };
    }
    const outputCheck = await timer.time('guardrail_output', () =>
      this.ports.guardrail.check({ text, source: 'OUTPUT', abortSignal: prepared.request.abortSignal }),
    );
    return {
      response: outputCheck.action === 'INTERVENED' ? (outputCheck.output ?? '') : text,
      cited,
      usage,
      checks: [prepared.input, { ...outputCheck, source: 'OUTPUT' }],
    };
  }

  /** Stores the turn (before anything is returned: a Lambda may freeze right after it answers) and builds the answer. */
  private async finish(prepared: Prepared, generated: Generated): Promise<Answer> {
    const { timer, sessionId, question } = prepared;
    const sources = generated.cited.map(toCitedSource);
    const withheld = generated.checks.some((check) => check.source === 'INPUT' && isBlocked(check));
    if (sessionId !== undefined) {
      await timer.time('store', () =>
        this.ports.sessions.append({
          sessionId,
          query: withheld ? WITHHELD_QUERY : question,
          response: generated.response,
          sources,
          createdAt: this.ports.clock.now(),
        }),
      );
    }
    return {
      response: generated.response,
      ...(sessionId !== undefined && { sessionId }),
      sources,
      usage: generated.usage,
      guardrail: summarizeGuardrail(generated.checks),
      ...(generated.stoppedByGuardrail && { stoppedByGuardrail: true }),
      trace: {
        retrievalQuestion: prepared.retrievalQuestion,
        retrieved: prepared.matches.map(({ id, score }) => ({ id, score })),
        timingsMs: timer.snapshot(),
      },
    };
  }
}

function generateOptions(prepared: Prepared): GenerateOptions {
  const { params, abortSignal } = prepared.request;
  return {
    question: prepared.question,
    passages: prepared.matches,
    history: prepared.turns,
    params: { temperature: params.temperature, maxTokens: params.maxTokens },
    ...(abortSignal && { abortSignal }),
  };
}

/** The input guardrail blocked the question: its message is the answer, and nothing is generated. */
function blockedAtInput(prepared: Prepared): Generated {
  return {
    response: prepared.input.output ?? '',
    cited: [],
    usage: prepared.usage,
    checks: [prepared.input],
  };
}

const isBlocked = (check: GuardrailResult): boolean =>
  check.action === 'INTERVENED' && check.assessments.some((assessment) => assessment.action === 'BLOCKED');

function toCitedSource(chunk: RetrievedChunk): CitedSource {
  return { id: chunk.id, source: chunk.location, score: chunk.score, text: chunk.text };
}

function summarizeGuardrail(checks: readonly SourcedCheck[]): GuardrailOutcome {
  const intervened = checks.filter((check) => check.action === 'INTERVENED');
  if (intervened.length === 0) return { action: 'NONE' };
  return {
    action: 'INTERVENED',
    assessments: intervened.flatMap((check) =>
      check.assessments.map((a) => ({ ...a, source: check.source })),
    ),
  };
}
