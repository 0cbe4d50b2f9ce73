import type { Answer } from '../pipeline.js';
import type { ServingError } from '../errors.js';

/** One prediction as the wire protocol shows it (snake_case, Databricks style). */
export interface WirePrediction {
  readonly response: string;
  /** Always set for MLflow records; absent only when a chat caller carries the history itself. */
  readonly session_id?: string;
  readonly sources: readonly { id: string; source: string; score: number; text: string }[];
  readonly usage: { input_tokens: number; output_tokens: number };
  readonly guardrail: Answer['guardrail'];
  readonly trace?: {
    retrieval_question: string;
    retrieved: readonly { id: string; score: number }[];
    timings_ms: Readonly<Record<string, number>>;
  };
}

export function toWirePrediction(answer: Answer, withTrace: boolean): WirePrediction {
  return {
    response: answer.response,
    ...(answer.sessionId !== undefined && { session_id: answer.sessionId }),
    sources: answer.sources.map(({ id, source, score, text }) => ({ id, source, score, text })),
    usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens },
    guardrail: answer.guardrail,
    ...(withTrace && {
      trace: {
        retrieval_question: answer.trace.retrievalQuestion,
        retrieved: answer.trace.retrieved,
        timings_ms: answer.trace.timingsMs,
      },
    }),
  };
}

export function toErrorBody(error: ServingError): { error_code: string; message: string } {
  return { error_code: error.errorCode, message: error.message };
}
