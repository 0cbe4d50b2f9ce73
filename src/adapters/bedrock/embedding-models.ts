/** How one Bedrock embedding model family is called through InvokeModel. */
export interface EmbeddingModel {
  readonly family: 'titan' | 'cohere';
  /** Texts one InvokeModel call may carry. */
  readonly maxBatch: number;
  readonly dimensions: number;
  requestBody(texts: readonly string[], purpose: 'query' | 'document'): unknown;
  parseResponse(body: unknown): { vectors: number[][]; inputTokens: number };
}

/** The model id names a model that this adapter cannot call. */
export class UnsupportedEmbeddingModelError extends Error {
  constructor(modelId: string, detail = '') {
    super(
      `Unsupported embedding model '${modelId}'${detail}: use Titan Text Embeddings v2 (amazon.titan-embed-text-v2:0) or a Cohere embed model (cohere.embed-english-v3, cohere.embed-multilingual-v3, cohere.embed-v4:0).`,
    );
    this.name = 'UnsupportedEmbeddingModelError';
  }
}

class UnexpectedEmbeddingResponseError extends Error {
  constructor(what: string) {
    super(`Bedrock returned an embedding response without ${what}.`);
    this.name = 'UnexpectedEmbeddingResponseError';
  }
}

const TITAN_DIMENSIONS = [256, 512, 1024];
/** Titan v2 reads at most 50,000 characters (8,192 tokens) of one text. */
const TITAN_MAX_CHARS = 50_000;
/** Cohere on Bedrock takes at most 96 texts per call and 2,048 characters per text. */
const COHERE_MAX_BATCH = 96;
const COHERE_MAX_CHARS = 2_048;
const COHERE_V4_DIMENSIONS = [256, 512, 1024, 1536];

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

function titan(dimensions = 1024): EmbeddingModel {
  if (!TITAN_DIMENSIONS.includes(dimensions)) {
    throw new UnsupportedEmbeddingModelError(
      'amazon.titan-embed-text-v2:0',
      ` with ${dimensions} dimensions (256, 512 or 1024)`,
    );
  }
  return {
    family: 'titan',
    maxBatch: 1,
    dimensions,
    requestBody: ([text = '']) => ({
      inputText: text.slice(0, TITAN_MAX_CHARS),
      dimensions,
      normalize: true,
    }),
    parseResponse: (body) => {
      const { embedding, inputTextTokenCount } = asRecord(body);
      if (!Array.isArray(embedding)) throw new UnexpectedEmbeddingResponseError("'embedding'");
      return { vectors: [embedding as number[]], inputTokens: Number(inputTextTokenCount ?? 0) };
    },
  };
}

function cohere(modelId: string, dimensions?: number): EmbeddingModel {
  const v4 = /cohere\.embed-v4/.test(modelId);
  const size = dimensions ?? (v4 ? 1536 : 1024);
  if (v4 ? !COHERE_V4_DIMENSIONS.includes(size) : size !== 1024) {
    throw new UnsupportedEmbeddingModelError(modelId, ` with ${size} dimensions`);
  }
  return {
    family: 'cohere',
    maxBatch: COHERE_MAX_BATCH,
    dimensions: size,
    requestBody: (texts, purpose) => ({
      texts: texts.map((text) => text.slice(0, COHERE_MAX_CHARS)),
      input_type: purpose === 'query' ? 'search_query' : 'search_document',
      truncate: 'END',
      ...(v4 && { embedding_types: ['float'], output_dimension: size }),
    }),
    parseResponse: (body) => {
      const { embeddings, meta } = asRecord(body);
      // v3 answers a list of vectors; v4 (and v3 with embedding_types) answers them by type.
      const vectors = Array.isArray(embeddings) ? embeddings : asRecord(embeddings).float;
      if (!Array.isArray(vectors)) throw new UnexpectedEmbeddingResponseError("'embeddings'");
      const billed = asRecord(asRecord(meta).billed_units).input_tokens;
      return { vectors: vectors as number[][], inputTokens: Number(billed ?? 0) };
    },
  };
}

/**
 * The model family from its id, which may be a foundation-model id (`amazon.titan-embed-text-v2:0`),
 * an inference profile id (`us.cohere.embed-v4:0`) or an ARN ending in either.
 */
export function embeddingModelFor(modelId: string, dimensions?: number): EmbeddingModel {
  if (/amazon\.titan-embed-text-v2/.test(modelId)) return titan(dimensions);
  if (/cohere\.embed-/.test(modelId)) return cohere(modelId, dimensions);
  throw new UnsupportedEmbeddingModelError(modelId);
}
