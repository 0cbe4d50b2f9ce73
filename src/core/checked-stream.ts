import { StreamingCitations } from './citations.js';
import type { GenerateChunk } from './ports/generator.js';
import type { Guardrail, GuardrailResult, GuardrailSource } from './ports/guardrail.js';
import type { Usage } from './ports/types.js';

export type SourcedCheck = GuardrailResult & { readonly source: GuardrailSource };

/**
 * How streamed text meets the output guardrail, as Bedrock's own stream processing modes:
 * `sync` holds text until the guardrail has passed it, `async` sends text as it is generated
 * while the guardrail checks it in parallel, and ends the stream when the guardrail intervenes.
 */
export const GUARDRAIL_STREAM_MODES = ['sync', 'async'] as const;
export type GuardrailStreamMode = (typeof GUARDRAIL_STREAM_MODES)[number];

export interface CheckedStreamOptions {
  readonly chunks: AsyncIterable<GenerateChunk>;
  readonly guardrail: Guardrail;
  /** Passages the generator may cite, for renumbering. */
  readonly passageCount: number;
  readonly abortSignal?: AbortSignal;
  /**
   * A guardrail check covers the text so far once at least this many characters ended in a
   * sentence since the last one: fewer calls and, in `sync` mode, later text. @default 1 (every sentence)
   */
  readonly minReleaseChars?: number;
  /** @default 'sync' */
  readonly mode?: GuardrailStreamMode;
}

export interface CheckedStreamOutcome {
  /**
   * The response as stored: everything the caller was sent, except that text the guardrail
   * stopped in `async` mode (already sent, never checked in time) is replaced by its output.
   */
  readonly text: string;
  /** Passage numbers in the order the stored text cites them ([1] is the first of these). */
  readonly order: readonly number[];
  readonly usage: Usage;
  /** Output checks that intervened, and a guardrail attached to the model call. */
  readonly checks: readonly SourcedCheck[];
  /** The guardrail ended the stream: the caller got no further text, and no complete answer. */
  readonly stopped: boolean;
}

/** End of the last complete sentence (or line) in a text, after its trailing whitespace; -1 if none. */
export function lastSentenceEnd(text: string): number {
  let end = -1;
  for (const match of text.matchAll(/[.!?]["')\]]*\s+|\n+/g)) end = match.index + match[0].length;
  return end;
}

/** The highest renumbered marker in the sent text: passages cited only by withheld text are not sources. */
function highestMarker(text: string, cited: number): number {
  let highest = 0;
  for (const [, digits] of text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(digits);
    if (n <= cited && n > highest) highest = n;
  }
  return highest;
}

const isBlocked = (check: GuardrailResult): boolean =>
  check.action === 'INTERVENED' && check.assessments.some((assessment) => assessment.action === 'BLOCKED');

/** The guardrail's message after what was already sent, with a space between them. */
const endingAfter = (sent: string, message: string) =>
  sent === '' || /\s$/.test(sent) ? message : ` ${message}`;

/** What a release strategy works with: text in, text out, and the outcome so far. */
interface StreamState {
  readonly citations: StreamingCitations;
  readonly checks: SourcedCheck[];
  /** What the caller was sent. */
  sent: string;
  /** The response to store, when it differs from what was sent (async interventions). */
  stored?: string;
  stopped: boolean;
}

interface ReleaseStrategy {
  /** Text of the model, as it arrives; returns what to send now. */
  text(delta: string): Promise<string>;
  /** The model is done (or stopped); returns what to send last. */
  end(): Promise<string>;
}

/**
 * `sync`: deltas are held until a sentence ends; the accumulated text is checked, and only then is
 * the new part released (masked, when the guardrail anonymized something). A block ends the stream
 * with the guardrail's message.
 */
function syncRelease(options: CheckedStreamOptions, state: StreamState): ReleaseStrategy {
  const { guardrail, abortSignal } = options;
  const minReleaseChars = options.minReleaseChars ?? 1;
  let pending = '';

  /** Checks `sent + segment`; returns the text to send now. */
  const release = async (segment: string): Promise<string> => {
    const candidate = state.sent + segment;
    if (candidate.trim() === '') return '';
    const check = await guardrail.check({ text: candidate, source: 'OUTPUT', abortSignal });
    if (check.action === 'NONE') {
      state.sent = candidate;
      return segment;
    }
    state.checks.push({ ...check, source: 'OUTPUT' });
    const replacement = check.output ?? '';
    if (!isBlocked(check) && replacement.startsWith(state.sent)) {
      // Anonymized: send the masked form of the new part.
      const delta = replacement.slice(state.sent.length);
      state.sent = replacement;
      return delta;
    }
    // Blocked, or masking would change text already sent: end with the guardrail's message.
    state.stopped = true;
    const ending = endingAfter(state.sent, replacement);
    state.sent += ending;
    return ending;
  };

  return {
    text: async (delta) => {
      pending += delta;
      const end = lastSentenceEnd(pending);
      if (end <= 0 || end < minReleaseChars) return '';
      const segment = state.citations.push(pending.slice(0, end));
      pending = pending.slice(end);
      return release(segment);
    },
    end: () => release(state.citations.push(pending) + state.citations.flush()),
  };
}

/**
 * `async`: deltas are sent at once. At sentence boundaries the guardrail checks everything sent so
 * far beside the generation (one check at a time; a check that finds more text waiting starts the
 * next), and a last check covers the whole answer before the stream ends. An intervention stops
 * the model and ends the stream: a block with the guardrail's message, which is also what is stored
 * in place of the text it judged; an anonymization (too late to mask text already sent) with no
 * further text, the masked text stored. The price of the earlier text: the caller may read text
 * the guardrail would have stopped, for as long as one check takes.
 */
function asyncRelease(options: CheckedStreamOptions, state: StreamState): ReleaseStrategy {
  const { guardrail, abortSignal } = options;
  const minReleaseChars = options.minReleaseChars ?? 1;
  let checkedUpTo = 0;
  let inFlight: Promise<void> | undefined;
  let verdict: GuardrailResult | undefined;
  let failure: { error: unknown } | undefined;

  const startCheck = () => {
    const candidate = state.sent;
    checkedUpTo = candidate.length;
    // Settled here, so a failure while the model streams is never an unhandled rejection.
    inFlight = guardrail.check({ text: candidate, source: 'OUTPUT', abortSignal }).then(
      (check) => {
        inFlight = undefined;
        if (check.action !== 'NONE') verdict ??= check;
        else if (waitingSentence()) startCheck();
      },
      (error: unknown) => {
        inFlight = undefined;
        failure ??= { error };
      },
    );
  };

  /** At least `minReleaseChars` of sent text ends in a sentence past the last check. */
  const waitingSentence = () => {
    const unchecked = state.sent.slice(checkedUpTo);
    const end = lastSentenceEnd(unchecked);
    return end > 0 && end >= minReleaseChars;
  };

  /** Ends the stream after an intervention; returns the guardrail's message to send, if any. */
  const stop = (check: GuardrailResult): string => {
    state.checks.push({ ...check, source: 'OUTPUT' });
    state.stopped = true;
    const output = check.output ?? '';
    state.stored = output;
    if (!isBlocked(check)) return '';
    const ending = endingAfter(state.sent, output);
    state.sent += ending;
    return ending;
  };

  const settled = (): string | undefined => {
    if (failure) throw failure.error;
    return verdict && !state.stopped ? stop(verdict) : undefined;
  };

  return {
    text: async (delta) => {
      const ending = settled();
      if (ending !== undefined) return ending;
      const out = state.citations.push(delta);
      state.sent += out;
      if (!inFlight && waitingSentence()) startCheck();
      return out;
    },
    end: async () => {
      if (state.stopped) return '';
      const out = state.citations.flush();
      state.sent += out;
      // The whole answer is checked before the stream ends, however the checks fell on the way.
      while (inFlight) await inFlight;
      if (!verdict && !failure && state.sent.trim() !== '' && checkedUpTo < state.sent.length) {
        startCheck();
        while (inFlight) await inFlight;
      }
      return out + (settled() ?? '');
    },
  };
}

/**
 * Streams generated text to the caller with the output guardrail in the way the mode asks (see
 * `syncRelease` and `asyncRelease`), renumbering citation markers on the way out. An intervention
 * that ends the stream stops the generator. Yields text to send; returns the response to store,
 * with usage and interventions.
 */
export async function* checkedStream(
  options: CheckedStreamOptions,
): AsyncGenerator<string, CheckedStreamOutcome> {
  const state: StreamState = {
    citations: new StreamingCitations(options.passageCount),
    checks: [],
    sent: '',
    stopped: false,
  };
  const strategy = options.mode === 'async' ? asyncRelease(options, state) : syncRelease(options, state);
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  const iterator = options.chunks[Symbol.asyncIterator]();
  try {
    while (!state.stopped) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      if (chunk.type === 'finish') {
        usage = chunk.usage;
        if (chunk.guardrail?.action === 'INTERVENED') state.checks.push(chunk.guardrail);
        continue;
      }
      const out = await strategy.text(chunk.text);
      if (out !== '') yield out;
    }
    if (!state.stopped) {
      const out = await strategy.end();
      if (out !== '') yield out;
    }
  } finally {
    // Stops the model when the guardrail ended the stream or the caller went away.
    await iterator.return?.();
  }
  const text = state.stored ?? state.sent;
  return {
    text,
    order: state.citations.order.slice(0, highestMarker(text, state.citations.order.length)),
    usage,
    checks: state.checks,
    stopped: state.stopped,
  };
}
