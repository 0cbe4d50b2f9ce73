import type { Usage } from './types.js';

export interface EmbedOptions {
  readonly texts: readonly string[];
  /** Some models embed queries and documents differently. */
  readonly purpose: 'query' | 'document';
  readonly abortSignal?: AbortSignal;
}

export interface EmbedResult {
  readonly vectors: readonly (readonly number[])[];
  readonly usage: Usage;
}

export interface Embedder {
  readonly dimensions: number;
  embed(options: EmbedOptions): Promise<EmbedResult>;
}
