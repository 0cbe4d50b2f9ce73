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
}

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
  /** Rewrites a follow-up question with the conversation so far into a standalone retrieval question. */
  condense(options: CondenseOptions): Promise<CondenseResult>;
}
