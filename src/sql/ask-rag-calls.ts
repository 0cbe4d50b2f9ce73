/** One call of `ask_rag(query, session_id)` found in a statement. */
export interface AskRagCall {
  readonly query: string;
  /** Absent: a new session. */
  readonly sessionId?: string;
}

/** Identical calls of one statement share one answer: the key says when two calls are identical. */
export const callKey = (call: AskRagCall): string => JSON.stringify([call.query, call.sessionId ?? null]);

/** Answers calls; the result maps each call's key to the VARCHAR the function returns for it. */
export type AnswerCalls = (calls: readonly AskRagCall[]) => Promise<ReadonlyMap<string, string | null>>;
