import { randomUUID } from 'node:crypto';
import { PermissionDeniedError } from './errors.js';
import type { Embedder } from './ports/embedder.js';
import type { Generator } from './ports/generator.js';
import type { Guardrail, GuardrailAssessment, GuardrailResult, GuardrailSource } from './ports/guardrail.js';
import type { SessionStore } from './ports/session-store.js';
import type { CitedSource, RetrievedChunk, Turn, Usage } from './ports/types.js';
import type { VectorIndex } from './ports/vector-index.js';
import type { Clock } from './ports/clock.js';
import type { RequestParams } from './protocol/params.js';
import { StageTimer } from './stage-timer.js';
import { renumberCitations } from './citations.js';
import { Defaults } from '../shared/limits.js';

export interface PipelinePorts {
  readonly embedder: Embedder;
  readonly index: VectorIndex;
  readonly generator: Generator;
  readonly guardrail: Guardrail;
  readonly sessions: SessionStore;
  readonly clock: Clock;
}

export interface PipelineOptions {
  /** Turns of history given to condensing and generation. @default 6 */
  readonly historyTurns?: number;
}

export interface AnswerRequest {
  readonly query: string;
  /** Absent: a new session is started and its id returned. */
  readonly sessionId?: string;
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
  readonly sessionId: string;
  readonly sources: readonly CitedSource[];
  readonly usage: Usage;
  readonly guardrail: GuardrailOutcome;
  readonly trace: {
    readonly retrievalQuestion: string;
    readonly retrieved: readonly { readonly id: string; readonly score: number }[];
    readonly timingsMs: Readonly<Record<string, number>>;
  };
}

/** Stored instead of a question the input guardrail blocked, so blocked text (e.g. PII) is never persisted. */
export const WITHHELD_QUERY = '(withheld: blocked by the input guardrail)';

const noUsage: Usage = { inputTokens: 0, outputTokens: 0 };
const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
});

/**
 * The RAG pipeline over ports. Independent stages run concurrently: the session read, the
 * ownership claim, the input guardrail and the embedding of the raw question all start at once,
 * so a first turn never waits for an empty history read.
 */
export class RagPipeline {
  private readonly historyTurns: number;

  constructor(
    private readonly ports: PipelinePorts,
    options: PipelineOptions = {},
  ) {
    this.historyTurns = options.historyTurns ?? Defaults.historyTurns;
  }

  async answer(request: AnswerRequest): Promise<Answer> {
    const { embedder, index, generator, guardrail, sessions, clock } = this.ports;
    const { query, principal, params, abortSignal } = request;
    const timer = new StageTimer(clock);
    const isNewSession = request.sessionId === undefined;
    const sessionId = request.sessionId ?? randomUUID();

    const owner = timer.time('session', () => sessions.claim(sessionId, principal));
    const history = isNewSession
      ? Promise.resolve<readonly Turn[]>([])
      : timer.time('session', () => sessions.recent(sessionId, this.historyTurns));
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
    const checks: (GuardrailResult & { source: GuardrailSource })[] = [input];
    let response: string;
    let cited: readonly RetrievedChunk[] = [];
    // An input guardrail that only masked (e.g. anonymized PII) lets the masked question through,
    // and only the masked text is generated from and stored.
    const question =
      input.action === 'INTERVENED' && !isBlocked(input) && input.output !== undefined ? input.output : query;
    if (isBlocked(input)) {
      response = input.output ?? '';
    } else {
      const generated = await timer.time('generate', () =>
        generator.generate({
          question,
          passages: matches,
          history: turns,
          params: { temperature: params.temperature, maxTokens: params.maxTokens },
          abortSignal,
        }),
      );
      usage = addUsage(usage, generated.usage);
      const { text, order } = renumberCitations(generated.text, generated.citations);
      const outputCheck = await timer.time('guardrail_output', () =>
        guardrail.check({ text, source: 'OUTPUT', abortSignal }),
      );
      checks.push({ ...outputCheck, source: 'OUTPUT' });
      response = outputCheck.action === 'INTERVENED' ? (outputCheck.output ?? '') : text;
      cited = order.map((n) => matches[n - 1]).filter((chunk) => chunk !== undefined);
    }

    const sources = cited.map(toCitedSource);
    // Stored before the response is returned: a Lambda may freeze right after it answers.
    await timer.time('store', () =>
      sessions.append({
        sessionId,
        query: isBlocked(input) ? WITHHELD_QUERY : question,
        response,
        sources,
        createdAt: clock.now(),
      }),
    );

    return {
      response,
      sessionId,
      sources,
      usage,
      guardrail: summarizeGuardrail(checks),
      trace: {
        retrievalQuestion,
        retrieved: matches.map(({ id, score }) => ({ id, score })),
        timingsMs: timer.snapshot(),
      },
    };
  }
}

const isBlocked = (check: GuardrailResult): boolean =>
  check.action === 'INTERVENED' && check.assessments.some((assessment) => assessment.action === 'BLOCKED');

function toCitedSource(chunk: RetrievedChunk): CitedSource {
  return { id: chunk.id, source: chunk.location, score: chunk.score, text: chunk.text };
}

function summarizeGuardrail(
  checks: readonly (GuardrailResult & { source: GuardrailSource })[],
): GuardrailOutcome {
  const intervened = checks.filter((check) => check.action === 'INTERVENED');
  if (intervened.length === 0) return { action: 'NONE' };
  return {
    action: 'INTERVENED',
    assessments: intervened.flatMap((check) =>
      check.assessments.map((a) => ({ ...a, source: check.source })),
    ),
  };
}
