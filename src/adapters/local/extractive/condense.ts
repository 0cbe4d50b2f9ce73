import type { Turn } from '../../../core/ports/types.js';
import { contentWords, terms } from './terms.js';

/**
 * Follow-up questions: "tell me more about that" names nothing BM25 can find, so it is
 * condensed with the words of the questions asked before it.
 */

/** Questions with fewer content terms than this lean on the conversation for their subject. */
const FOLLOW_UP_MAX_TERMS = 4;
/** Earlier turns whose questions are carried into a follow-up. */
const FOLLOW_UP_TURNS = 2;
/** Cap on carried terms, so a long earlier question cannot drown the current one in retrieval. */
const MAX_CONTEXT_TERMS = 8;

// Words that point back at something said earlier rather than naming it.
const ANAPHORA: ReadonlySet<string> = new Set(
  'it its that this these those they them their there more else also same another'.split(' '),
);
const CONTINUATION = /^\s*(and|but|or|also|so|then)\b|\b(what|how)\s+about\b/i;
// "is there a way" asks whether something exists; it does not point back.
const EXISTENTIAL = new Set(['is', 'are', 'was', 'were']);

function hasAnaphora(question: string): boolean {
  if (CONTINUATION.test(question)) return true;
  const words = question
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .filter(Boolean);
  return words.some((w, i) => ANAPHORA.has(w) && !(w === 'there' && EXISTENTIAL.has(words[i - 1] ?? '')));
}

export interface FollowUpRewrite {
  readonly question: string;
  /** Content words carried over from earlier questions (empty for a standalone question). */
  readonly contextTerms: readonly string[];
  readonly turnsUsed: readonly Turn[];
}

/**
 * Turns a follow-up into a standalone retrieval question by prepending the content words of
 * the last one or two questions: "configure port — Tell me more about that." BM25 needs those
 * words; the original question is kept whole so nothing the user asked is lost.
 */
export function rewriteFollowUp(question: string, history: readonly Turn[]): FollowUpRewrite {
  const own = terms(question);
  const isFollowUp = own.size < FOLLOW_UP_MAX_TERMS || hasAnaphora(question);
  if (history.length === 0 || !isFollowUp) return { question, contextTerms: [], turnsUsed: [] };
  // History is oldest first. Walk back from the newest turn so the cap keeps the freshest
  // words, then put them back in the order they were asked.
  const turnsUsed = history.slice(-FOLLOW_UP_TURNS);
  const seen = new Set(own);
  const perTurn: string[][] = [];
  let room = MAX_CONTEXT_TERMS;
  for (const turn of [...turnsUsed].reverse()) {
    const carried: string[] = [];
    for (const word of contentWords(turn.query)) {
      const keys = [...terms(word)];
      if (room === 0 || keys.every((key) => seen.has(key))) continue;
      for (const key of keys) seen.add(key);
      carried.push(word);
      room--;
    }
    perTurn.unshift(carried);
  }
  const contextTerms = perTurn.flat();
  if (contextTerms.length === 0) return { question, contextTerms: [], turnsUsed };
  return { question: `${contextTerms.join(' ')} — ${question}`, contextTerms, turnsUsed };
}
