import type { Message } from '@aws-sdk/client-bedrock-runtime';
import type { RetrievedChunk, Turn } from '../../core/ports/types.js';

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

/**
 * Earlier turns as Converse messages, oldest first. Converse wants user and assistant to
 * alternate with non-empty content, so a turn without a stored response is left out.
 */
export function historyMessages(history: readonly Turn[]): Message[] {
  return history
    .filter((turn) => turn.query.trim() !== '' && turn.response.trim() !== '')
    .flatMap((turn): Message[] => [
      { role: 'user', content: [{ text: turn.query }] },
      { role: 'assistant', content: [{ text: turn.response }] },
    ]);
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
