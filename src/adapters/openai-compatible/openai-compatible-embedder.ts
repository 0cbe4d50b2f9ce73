import type OpenAI from 'openai';
import type { OpenAICompatibleModel } from '../../config/backends-config.js';
import type { EmbedOptions, EmbedResult, Embedder } from '../../core/ports/embedder.js';
import { EnvVar } from '../../shared/env.js';
import { modelServerClient } from './model-server-client.js';
import { modelServerFailure } from './model-server-errors.js';

export interface OpenAICompatibleEmbedderOptions extends OpenAICompatibleModel {
  /** Texts per embeddings request. @default 64 */
  readonly batchSize?: number;
  /** A client built elsewhere (tests); by default one for `baseUrl`. */
  readonly client?: OpenAI;
}

/** The embedding answered an empty or ragged list of vectors. */
export class MalformedEmbeddingsError extends Error {
  constructor(detail: string) {
    super(`The model server's embeddings response is malformed: ${detail}.`);
    this.name = new.target.name;
  }
}

/**
 * Dense vectors from the embeddings API of an OpenAI-compatible server. The vector length is the
 * model's: `dimensions` is 0 until the first response tells it.
 */
export class OpenAICompatibleEmbedder implements Embedder {
  private readonly client: OpenAI;
  private learnedDimensions = 0;

  constructor(private readonly options: OpenAICompatibleEmbedderOptions) {
    this.client = options.client ?? modelServerClient(options);
  }

  get dimensions(): number {
    return this.learnedDimensions;
  }

  async embed(options: EmbedOptions): Promise<EmbedResult> {
    const batchSize = this.options.batchSize ?? 64;
    const vectors: number[][] = [];
    let inputTokens = 0;
    for (let start = 0; start < options.texts.length; start += batchSize) {
      const input = options.texts.slice(start, start + batchSize);
      let response;
      try {
        response = await this.client.embeddings.create(
          { model: this.options.model, input, encoding_format: 'float' },
          { signal: options.abortSignal },
        );
      } catch (error) {
        throw modelServerFailure(
          error,
          { ...this.options, modelVariable: EnvVar.openaiEmbeddingModel },
          options.abortSignal,
        );
      }
      const data = [...response.data].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) {
        throw new MalformedEmbeddingsError(`${data.length} vectors for ${input.length} texts`);
      }
      for (const { embedding } of data) vectors.push(embedding);
      inputTokens += response.usage?.prompt_tokens ?? 0;
    }
    const length = vectors[0]?.length ?? 0;
    if (vectors.some((vector) => vector.length !== length || length === 0)) {
      throw new MalformedEmbeddingsError('vectors of different or zero length');
    }
    if (length > 0) this.learnedDimensions = length;
    return { vectors, usage: { inputTokens, outputTokens: 0 } };
  }
}
