import type { Message } from '@aws-sdk/client-bedrock-runtime';
import type { Turn } from '../../core/ports/types.js';

export {
  answerSystemPrompt,
  CONDENSE_SYSTEM_PROMPT,
  condenseUserMessage,
  citedPassages,
} from '../rag-prompts.js';

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
