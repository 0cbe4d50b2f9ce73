import { StreamingCitations } from './citations.js';
import type { GenerateChunk } from './ports/generator.js';
import type { Guardrail, GuardrailResult, GuardrailSource } from './ports/guardrail.js';
import type { Usage } from './ports/types.js';

export type SourcedCheck = GuardrailResult & { readonly source: GuardrailSource };

export interface CheckedStreamOptions {
  readonly chunks: AsyncIterable<GenerateChunk>;
  readonly guardrail: Guardrail;
  /** Passages the generator may cite, for renumbering. */
  readonly passageCount: number;
  readonly abortSignal?: AbortSignal;
  /**
   * Text is released at a sentence boundary once at least this many characters wait. Each release
   * checks the whole text so far, so a larger value means fewer guardrail calls and later text.
   * @default 1 (every sentence)
   */
  readonly minReleaseChars?: number;
}

export interface CheckedStreamOutcome {
  /** Everything the caller was sent, in order: the response as stored. */
  readonly text: string;
  /** Passage numbers in the order the sent text cites them ([1] is the first of these). */
  readonly order: readonly number[];
  readonly usage: Usage;
  /** Output checks that intervened, and a guardrail attached to the model call. */
  readonly checks: readonly SourcedCheck[];
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

/**
 * Streams generated text to the caller only after the output guardrail has seen it: deltas are
 * held until a sentence ends, the accumulated text is checked, and only then is the new part
 * released (masked, when the guardrail anonymized something). A block ends the stream with the
 * guardrail's message and stops the generator. Citation markers are renumbered on the way out.
 * Yields text to send; returns what was sent in full, with usage and interventions.
 */
export async function* checkedStream(
  options: CheckedStreamOptions,
): AsyncGenerator<string, CheckedStreamOutcome> {
  const { guardrail, abortSignal } = options;
  const minReleaseChars = options.minReleaseChars ?? 1;
  const citations = new StreamingCitations(options.passageCount);
  const checks: SourcedCheck[] = [];
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let pending = '';
  let sent = '';
  let ended = false;

  /** Checks `sent + segment`; returns the text to send now. */
  const release = async (segment: string): Promise<string> => {
    const candidate = sent + segment;
    if (candidate.trim() === '') return '';
    const check = await guardrail.check({ text: candidate, source: 'OUTPUT', abortSignal });
    if (check.action === 'NONE') {
      sent = candidate;
      return segment;
    }
    checks.push({ ...check, source: 'OUTPUT' });
    const replacement = check.output ?? '';
    if (!isBlocked(check) && replacement.startsWith(sent)) {
      // Anonymized: send the masked form of the new part.
      const delta = replacement.slice(sent.length);
      sent = replacement;
      return delta;
    }
    // Blocked, or masking would change text already sent: end with the guardrail's message.
    ended = true;
    const ending = sent === '' || /\s$/.test(sent) ? replacement : ` ${replacement}`;
    sent += ending;
    return ending;
  };

  const iterator = options.chunks[Symbol.asyncIterator]();
  try {
    while (!ended) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      if (chunk.type === 'finish') {
        usage = chunk.usage;
        if (chunk.guardrail?.action === 'INTERVENED') checks.push(chunk.guardrail);
        continue;
      }
      pending += chunk.text;
      const end = lastSentenceEnd(pending);
      if (end <= 0 || end < minReleaseChars) continue;
      const segment = citations.push(pending.slice(0, end));
      pending = pending.slice(end);
      const out = await release(segment);
      if (out !== '') yield out;
    }
    if (!ended) {
      const out = await release(citations.push(pending) + citations.flush());
      if (out !== '') yield out;
    }
  } finally {
    // Stops the model when the guardrail ended the stream or the caller went away.
    await iterator.return?.();
  }
  return {
    text: sent,
    order: citations.order.slice(0, highestMarker(sent, citations.order.length)),
    usage,
    checks,
  };
}
