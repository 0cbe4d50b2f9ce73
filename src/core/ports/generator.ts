import type { GuardrailResult, GuardrailSource } from './guardrail.js';
import type { RetrievedChunk, Turn, Usage } from './types.js';

export interface InferenceParams {
  readonly temperature?: number;
  readonly maxTokens?: number;
}

export interface GenerateOptions {
  readonly question: string;
  /** Numbered context passages; citation n refers to passages[n - 1]. */
  readonly passages: readonly RetrievedChunk[];
  readonly history: readonly Turn[];
  readonly params: InferenceParams;
  readonly abortSignal?: AbortSignal;
}

export interface GenerateResult {
  readonly text: string;
  /** 1-based indexes into the passages that the text cites. */
  readonly citations: readonly number[];
  readonly usage: Usage;
  /**
   * Set when a guardrail attached to the model call itself intervened (Bedrock Converse with a
   * `guardrailConfig`); `text` is then the guardrail's message.
   */
  readonly guardrail?: ModelGuardrailResult;
}

/** What a guardrail attached to the model call decided, and whether it judged the input or the output. */
export interface ModelGuardrailResult extends GuardrailResult {
  readonly source: GuardrailSource;
}

/** A piece of a streamed answer: text as it is generated, then one `finish` with what only the end knows. */
export type GenerateChunk =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'finish';
      /** 1-based indexes into the passages that the streamed text cites. */
      readonly citations: readonly number[];
      readonly usage: Usage;
      /** As in GenerateResult: a guardrail attached to the model call intervened. */
      readonly guardrail?: ModelGuardrailResult;
    };

export interface CondenseOptions {
  readonly question: string;
  readonly history: readonly Turn[];
  readonly abortSignal?: AbortSignal;
}

export interface CondenseResult {
  /** A standalone question for retrieval. */
  readonly question: string;
  readonly usage: Usage;
}

export interface Generator {
  generate(options: GenerateOptions): Promise<GenerateResult>;
  /** The same answer as `generate`, as text deltas ending with one `finish` chunk. */
  stream(options: GenerateOptions): AsyncIterable<GenerateChunk>;
  /** Rewrites a follow-up question with the conversation so far into a standalone retrieval question. */
  condense(options: CondenseOptions): Promise<CondenseResult>;
}
