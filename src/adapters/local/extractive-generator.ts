import type {
  CondenseOptions,
  CondenseResult,
  GenerateChunk,
  GenerateOptions,
  GenerateResult,
  Generator,
} from '../../core/ports/generator.js';
import { rewriteFollowUp } from './extractive/condense.js';
import { pickSentences, queryWeights } from './extractive/pick-sentences.js';
import { countWords } from '../../text/words.js';

/**
 * A generator that needs no model: it answers with the passage sentences that best cover the
 * question and cites the passages they came from. It never writes text of its own beyond the
 * "not found" answer, so it cannot invent facts. Deterministic: `temperature` is ignored.
 *
 * Token counts in `usage` are approximated by whitespace-separated words, since there is no
 * model tokenizer locally; `params.maxTokens` is likewise read as a word budget.
 */
export class ExtractiveGenerator implements Generator {
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const { sentences, ...result } = compose(options);
    return { ...result, text: sentences.join(' ') };
  }

  /** Streams the answer sentence by sentence, as a model would stream tokens. */
  async *stream(options: GenerateOptions): AsyncGenerator<GenerateChunk> {
    const { sentences, citations, usage } = compose(options);
    for (const [i, sentence] of sentences.entries()) {
      options.abortSignal?.throwIfAborted();
      yield { type: 'text', text: i === 0 ? sentence : ` ${sentence}` };
    }
    yield { type: 'finish', citations, usage };
  }

  async condense(options: CondenseOptions): Promise<CondenseResult> {
    options.abortSignal?.throwIfAborted();
    const { question, history } = options;
    if (history.length === 0) return { question, usage: { inputTokens: 0, outputTokens: 0 } };
    const rewrite = rewriteFollowUp(question, history);
    const inputTokens =
      countWords(question) + rewrite.turnsUsed.reduce((sum, t) => sum + countWords(t.query), 0);
    return { question: rewrite.question, usage: { inputTokens, outputTokens: countWords(rewrite.question) } };
  }
}

/** The sentences of an answer (each rendered with its citation), the passages cited and the usage. */
function compose(options: GenerateOptions): Omit<GenerateResult, 'text'> & { sentences: string[] } {
  options.abortSignal?.throwIfAborted();
  const { question, passages, history, params } = options;
  const inputTokens = countWords(question) + passages.reduce((sum, p) => sum + countWords(p.text), 0);
  // A follow-up ("tell me more about that") has no terms of its own to match, so score with
  // the condensed question's terms too, at a lower weight than the question's own terms.
  const rewrite = rewriteFollowUp(question, history);
  const weights = queryWeights(question, rewrite.contextTerms);
  const picked = pickSentences(passages, weights, wordBudget(params.maxTokens));
  if (picked.length === 0) {
    return {
      sentences: [NOT_FOUND],
      citations: [],
      usage: { inputTokens, outputTokens: countWords(NOT_FOUND) },
    };
  }
  const sentences = picked.map((s) => s.rendered);
  const citations = [...new Set(picked.flatMap((s) => s.passages.map((p) => p + 1)))].sort((a, b) => a - b);
  return { sentences, citations, usage: { inputTokens, outputTokens: countWords(sentences.join(' ')) } };
}

/** What the generator answers when no passage shares a content term with the question. */
export const NOT_FOUND = 'I could not find anything about that in the indexed documents.';

/** The word budget of an answer when the request sets no `max_tokens`. */
const DEFAULT_MAX_WORDS = 150;

function wordBudget(maxTokens: number | undefined): number {
  if (maxTokens === undefined || !Number.isFinite(maxTokens)) return DEFAULT_MAX_WORDS;
  return Math.max(1, Math.floor(maxTokens));
}
