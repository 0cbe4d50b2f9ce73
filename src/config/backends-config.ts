import { EnvVar, type Backend } from '../shared/env.js';
import { ConfigurationError, invalidVariable } from './configuration-error.js';

/** A model on an OpenAI-compatible server. */
export interface OpenAICompatibleModel {
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
}

export type EmbedderConfig =
  | { readonly kind: 'local' }
  | { readonly kind: 'bedrock'; readonly modelId: string; readonly dimensions?: number }
  | ({ readonly kind: 'openai-compatible' } & OpenAICompatibleModel);

export type IndexConfig =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'pinecone';
      /** The index host; preferred over `indexName`, whose host takes a control-plane call to find. */
      readonly host?: string;
      readonly indexName?: string;
      readonly namespace?: string;
      /** A Secrets Manager secret in deployed stages; a plain key only with RAG_BACKEND=fakes. */
      readonly apiKey: { readonly secretId: string } | { readonly plain: string };
    };

export type PineconeIndexConfig = Extract<IndexConfig, { readonly kind: 'pinecone' }>;

export interface AttachedGuardrail {
  readonly guardrailId: string;
  readonly guardrailVersion: string;
}

/** A guardrail attached to ConverseStream: Bedrock's own stream processing mode. */
export interface ConverseGuardrail extends AttachedGuardrail {
  readonly streamProcessingMode: 'sync' | 'async';
}

export type GeneratorConfig =
  | { readonly kind: 'extractive' }
  | ({ readonly kind: 'openai-compatible' } & OpenAICompatibleModel)
  | {
      readonly kind: 'bedrock';
      readonly modelId: string;
      readonly condenseModelId?: string;
      /** Set with RAG_GUARDRAIL=bedrock and RAG_GUARDRAIL_MODE=converse. */
      readonly guardrail?: ConverseGuardrail;
    };

export type GuardrailConfig =
  | { readonly kind: 'rules' }
  | ({ readonly kind: 'bedrock' } & AttachedGuardrail)
  /** No separate guardrail calls: none at all, or one attached to Converse. */
  | { readonly kind: 'none' };

export interface BackendsConfig {
  readonly embedder: EmbedderConfig;
  readonly index: IndexConfig;
  readonly generator: GeneratorConfig;
  readonly guardrail: GuardrailConfig;
  /** Where the Bedrock runtime is reached; an endpoint override points at a fake. */
  readonly bedrock: { readonly endpoint?: string; readonly region?: string };
  readonly secretsManager: { readonly endpoint?: string };
}

/** The environment as the schema parsed it (strings, except the dimensions). */
type Env = { readonly [key: string]: unknown } & { readonly [EnvVar.backend]: Backend };

const str = (e: Env, variable: string): string | undefined => e[variable] as string | undefined;

function required(e: Env, variable: string, when: string): string {
  const value = str(e, variable);
  if (value === undefined) throw new ConfigurationError(`${variable} is required when ${when}.`);
  return value;
}

const isLoopbackUrl = (url: string): boolean => {
  try {
    const { hostname } = new URL(/^https?:\/\//.test(url) ? url : `https://${url}`);
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
};

function pineconeApiKey(e: Env): { secretId: string } | { plain: string } {
  const plain = str(e, EnvVar.pineconeApiKey);
  const secretId = str(e, EnvVar.pineconeApiKeySecretId);
  if (plain !== undefined) {
    // A plain key in the environment would sit in the function's configuration for anyone who can
    // read it; only a local server wired to fakes may take one.
    if (e[EnvVar.backend] !== 'fakes') {
      throw new ConfigurationError(
        `${EnvVar.pineconeApiKey} is accepted only with ${EnvVar.backend}=fakes (local fakes); deployed stages read the key from Secrets Manager: set ${EnvVar.pineconeApiKeySecretId}.`,
      );
    }
    const host = str(e, EnvVar.pineconeHost) ?? '';
    if (!isLoopbackUrl(host)) {
      throw invalidVariable(
        EnvVar.pineconeHost,
        host,
        `with ${EnvVar.backend}=fakes and a plain ${EnvVar.pineconeApiKey}, the host must be a fake on 127.0.0.1`,
      );
    }
    return { plain };
  }
  if (secretId === undefined) {
    throw new ConfigurationError(
      `${EnvVar.pineconeApiKeySecretId} is required when ${EnvVar.index}=pinecone: the name or ARN of the secret holding the API key.`,
    );
  }
  return { secretId };
}

/**
 * Picks the adapter of each port. Defaults follow RAG_BACKEND: `local` serves every port with the
 * embedded defaults; `aws` (a deployed stage) and `fakes` (the same adapters against local fakes)
 * use Bedrock and Pinecone. Each port can be switched on its own, e.g. RAG_GENERATOR=bedrock with
 * the local index.
 */
export function resolveBackends(e: Env): BackendsConfig {
  const cloud = e[EnvVar.backend] !== 'local';
  const embedder = str(e, EnvVar.embedder) ?? (cloud ? 'bedrock' : 'local');
  const index = str(e, EnvVar.index) ?? (cloud ? 'pinecone' : 'local');
  const generator = str(e, EnvVar.generator) ?? (cloud ? 'bedrock' : 'extractive');
  const guardrail = str(e, EnvVar.guardrail) ?? (cloud ? 'bedrock' : 'rules');
  const attached = guardrail === 'bedrock' && str(e, EnvVar.guardrailMode) === 'converse';
  if (attached && generator !== 'bedrock') {
    throw invalidVariable(
      EnvVar.guardrailMode,
      'converse',
      `a guardrail can be attached only to the Bedrock generator; set ${EnvVar.generator}=bedrock or ${EnvVar.guardrailMode}=apply`,
    );
  }
  const guardrailSettings = (): AttachedGuardrail => ({
    guardrailId: required(e, EnvVar.guardrailId, `${EnvVar.guardrail}=bedrock`),
    guardrailVersion: required(e, EnvVar.guardrailVersion, `${EnvVar.guardrail}=bedrock`),
  });
  const dimensions = e[EnvVar.embeddingDimensions] as number | undefined;
  const condenseModelId = str(e, EnvVar.condenseModelId);
  const namespace = str(e, EnvVar.pineconeNamespace);
  const host = str(e, EnvVar.pineconeHost);
  const indexName = str(e, EnvVar.pineconeIndex);
  if (index === 'pinecone' && host === undefined && indexName === undefined) {
    throw new ConfigurationError(
      `${EnvVar.pineconeHost} (or ${EnvVar.pineconeIndex}) is required when ${EnvVar.index}=pinecone.`,
    );
  }
  const openAIModel = (modelVariable: string, port: string): OpenAICompatibleModel => {
    const apiKey = str(e, EnvVar.openaiApiKey);
    return {
      baseUrl: required(e, EnvVar.openaiBaseUrl, `${port}=openai-compatible`),
      model: required(e, modelVariable, `${port}=openai-compatible`),
      ...(apiKey !== undefined && { apiKey }),
    };
  };
  const bedrockEndpoint = str(e, EnvVar.bedrockEndpoint);
  const bedrockRegion = str(e, EnvVar.bedrockRegion);
  const secretsEndpoint = str(e, EnvVar.secretsManagerEndpoint);
  return {
    embedder:
      embedder === 'openai-compatible'
        ? { kind: 'openai-compatible', ...openAIModel(EnvVar.openaiEmbeddingModel, EnvVar.embedder) }
        : embedder === 'bedrock'
          ? {
              kind: 'bedrock',
              modelId: required(e, EnvVar.embeddingModelId, `${EnvVar.embedder}=bedrock`),
              ...(dimensions !== undefined && { dimensions }),
            }
          : { kind: 'local' },
    index:
      index === 'pinecone'
        ? {
            kind: 'pinecone',
            ...(host !== undefined && { host }),
            ...(indexName !== undefined && { indexName }),
            ...(namespace !== undefined && { namespace }),
            apiKey: pineconeApiKey(e),
          }
        : { kind: 'local' },
    generator:
      generator === 'openai-compatible'
        ? { kind: 'openai-compatible', ...openAIModel(EnvVar.openaiModel, EnvVar.generator) }
        : generator === 'bedrock'
          ? {
              kind: 'bedrock',
              modelId: required(e, EnvVar.generationModelId, `${EnvVar.generator}=bedrock`),
              ...(condenseModelId !== undefined && { condenseModelId }),
              ...(attached && {
                guardrail: {
                  ...guardrailSettings(),
                  streamProcessingMode: e[EnvVar.guardrailStreamMode] === 'async' ? 'async' : 'sync',
                },
              }),
            }
          : { kind: 'extractive' },
    guardrail:
      guardrail === 'bedrock' && !attached
        ? { kind: 'bedrock', ...guardrailSettings() }
        : guardrail === 'rules'
          ? { kind: 'rules' }
          : { kind: 'none' },
    bedrock: {
      ...(bedrockEndpoint !== undefined && { endpoint: bedrockEndpoint }),
      ...(bedrockRegion !== undefined && { region: bedrockRegion }),
    },
    secretsManager: secretsEndpoint !== undefined ? { endpoint: secretsEndpoint } : {},
  };
}
