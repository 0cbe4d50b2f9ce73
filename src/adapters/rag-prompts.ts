/**
 * What every model generator says to its model: the answer instructions with numbered passages,
 * the follow-up rewrite, and how `[n]` markers in the reply map back to passages. Shared so that
 * Bedrock and an OpenAI-compatible server are asked the same way and cite the same way.
 */
import type { RetrievedChunk, Turn } from '../core/ports/types.js';

/**
 * The system prompt of an answer: instructions, then the passages numbered [1]..[n] in retrieval
 * order, so a citation [n] refers to passages[n - 1] as the Generator port defines it.
 */
export function answerSystemPrompt(passages: readonly RetrievedChunk[]): string {
  const context =
    passages.length === 0
      ? '(no passages were found)'
      : passages.map((p, i) => `[${i + 1}] ${p.title} (${p.location})\n${p.text}`).join('\n\n');
  return [
    'You answer questions using only the numbered context passages below.',
    'Cite every passage you use by its number in square brackets, e.g. [1] or [2][3], right after the statement it supports.',
    'If the passages do not contain the answer, say that you could not find it in the indexed documents. Never invent facts, numbers or names.',
    'Answer in the language of the question, concisely.',
    '',
    'Context passages:',
    context,
  ].join('\n');
}

export const CONDENSE_SYSTEM_PROMPT = [
  "Rewrite the user's follow-up question as one standalone question for searching documentation.",
  'Use the conversation to resolve pronouns and missing subjects; keep names and technical terms exactly.',
  'Reply with the rewritten question only: no preamble, no answer, no quotes.',
].join(' ');

/** Earlier answers are cut to this many characters: their subject matters to a rewrite, not their detail. */
const CONDENSE_RESPONSE_CHARS = 500;

/** The conversation and the follow-up, as one user message for the rewrite. */
export function condenseUserMessage(question: string, history: readonly Turn[]): string {
  const transcript = history
    .map((turn) => `User: ${turn.query}\nAssistant: ${turn.response.slice(0, CONDENSE_RESPONSE_CHARS)}`)
    .join('\n');
  return `Conversation:\n${transcript}\n\nFollow-up question: ${question}`;
}

/** Passage numbers the text cites, distinct, in order of first citation; out-of-range markers ignored. */
export function citedPassages(text: string, passageCount: number): number[] {
  const cited: number[] = [];
  for (const [, digits] of text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(digits);
    if (n >= 1 && n <= passageCount && !cited.includes(n)) cited.push(n);
  }
  return cited;
}
