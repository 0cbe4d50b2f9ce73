import pLimit from 'p-limit';
import { RagApiError, type RagClient } from '../client/index.js';
import { callKey, type AnswerCalls, type AskRagCall } from './ask-rag-calls.js';

/**
 * Answers ask_rag calls through the HTTP API, as the Redshift UDF answers rows: the prediction as
 * JSON text, or a failed call's `{error_code, message}`. Calls in one session are asked one after
 * the other, in the order the statement made them, so each sees the turns before it; sessions and
 * calls without a session go in parallel. A refused token or an unreachable server ends the
 * statement instead: no call could succeed.
 */
export function answerWithClient(client: RagClient, concurrency = 8): AnswerCalls {
  const askOne = async (call: AskRagCall): Promise<string> => {
    try {
      const prediction = await client.ask(call.query, {
        ...(call.sessionId !== undefined && { sessionId: call.sessionId }),
      });
      return JSON.stringify(prediction);
    } catch (error) {
      if (error instanceof RagApiError && error.status !== 401) {
        return JSON.stringify({ error_code: error.errorCode, message: error.message });
      }
      throw error;
    }
  };

  return async (calls) => {
    const chains = new Map<string, AskRagCall[]>();
    calls.forEach((call, i) => {
      const chain = call.sessionId === undefined ? `new:${i}` : `session:${call.sessionId}`;
      chains.set(chain, [...(chains.get(chain) ?? []), call]);
    });
    const answers = new Map<string, string>();
    const limit = pLimit(concurrency);
    await Promise.all(
      [...chains.values()].map((chain) =>
        limit(async () => {
          for (const call of chain) answers.set(callKey(call), await askOne(call));
        }),
      ),
    );
    return answers;
  };
}
