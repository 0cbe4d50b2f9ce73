import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import pLimit from 'p-limit';
import type { EmbedOptions, EmbedResult, Embedder } from '../../core/ports/embedder.js';
import { bedrockRuntimeClient } from './bedrock-client.js';
import { bedrockFailure } from './bedrock-errors.js';
import { embeddingModelFor, type EmbeddingModel } from './embedding-models.js';

export interface BedrockEmbedderOptions {
  /** Titan Text Embeddings v2 or a Cohere embed model; the id picks the request format. */
  readonly modelId: string;
  /** @default the model's default (1024 for Titan v2 and Cohere v3, 1536 for Cohere v4) */
  readonly dimensions?: number;
  /** InvokeModel calls in flight at once for one embed (Titan takes one text per call). @default 8 */
  readonly concurrency?: number;
  readonly client?: BedrockRuntimeClient;
}

const decoder = new TextDecoder();

/**
 * Embeddings from Bedrock InvokeModel. Titan takes one text per call, so a batch becomes
 * bounded-concurrency calls; Cohere takes up to 96 texts per call. The first failure cancels
 * the calls still in flight.
 */
export class BedrockEmbedder implements Embedder {
  readonly dimensions: number;
  private readonly model: EmbeddingModel;
  private readonly client: BedrockRuntimeClient;
  private readonly concurrency: number;

  constructor(private readonly options: BedrockEmbedderOptions) {
    this.model = embeddingModelFor(options.modelId, options.dimensions);
    this.dimensions = this.model.dimensions;
    this.client = options.client ?? bedrockRuntimeClient();
    this.concurrency = options.concurrency ?? 8;
  }

  async embed(options: EmbedOptions): Promise<EmbedResult> {
    const { texts, purpose, abortSignal } = options;
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.model.maxBatch) {
      batches.push(texts.slice(i, i + this.model.maxBatch));
    }
    const siblings = new AbortController();
    const signal = abortSignal ? AbortSignal.any([abortSignal, siblings.signal]) : siblings.signal;
    const limit = pLimit(this.concurrency);
    try {
      const results = await Promise.all(
        batches.map((batch) => limit(() => this.invoke(batch, purpose, signal))),
      );
      return {
        vectors: results.flatMap((result) => result.vectors),
        usage: { inputTokens: results.reduce((sum, result) => sum + result.inputTokens, 0), outputTokens: 0 },
      };
    } catch (error) {
      siblings.abort(error);
      throw bedrockFailure(error, abortSignal, { model: this.options.modelId });
    }
  }

  private async invoke(texts: readonly string[], purpose: EmbedOptions['purpose'], abortSignal: AbortSignal) {
    const response = await this.client.send(
      new InvokeModelCommand({
        modelId: this.options.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify(this.model.requestBody(texts, purpose)),
      }),
      { abortSignal },
    );
    const parsed = this.model.parseResponse(JSON.parse(decoder.decode(response.body)));
    if (parsed.vectors.length !== texts.length) {
      throw new Error(`Bedrock returned ${parsed.vectors.length} embeddings for ${texts.length} texts.`);
    }
    return parsed;
  }
}
