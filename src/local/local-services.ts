import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExtractiveGenerator } from '../adapters/local/extractive-generator.js';
import { HashedEmbedder } from '../adapters/local/hashed-embedder.js';
import { openLocalRetrieval } from '../adapters/local/open-local-retrieval.js';
import { RuleGuardrail, denyListFromEnv } from '../adapters/local/rule-guardrail.js';
import type {
  BackendsConfig,
  EmbedderConfig,
  GeneratorConfig,
  GuardrailConfig,
  IndexConfig,
} from '../config/backends-config.js';
import type { SecurityConfig } from '../config/security-config.js';
import type { ServingConfig } from '../config/serving-config.js';
import { PassThroughGuardrail } from '../core/pass-through-guardrail.js';
import { systemClock } from '../core/ports/clock.js';
import type { Embedder } from '../core/ports/embedder.js';
import type { Generator } from '../core/ports/generator.js';
import type { Guardrail } from '../core/ports/guardrail.js';
import type { VectorQuery } from '../core/ports/vector-index.js';
import {
  dynamoStores,
  servingServices,
  type ServingParts,
  type ServingServices,
} from '../composition/serving-services.js';
import type * as CloudAdapters from '../composition/cloud-adapters.js';

/** What an adapter factory may draw on: the configuration, and clients built at most once. */
interface LocalWiring {
  readonly config: ServingConfig;
  bedrock(): Promise<BedrockRuntimeClient>;
  cloud(): Promise<typeof CloudAdapters>;
}

/** Builds the adapter of one kind of a port from that kind's configuration. */
type Factories<Config extends { readonly kind: string }, Port> = {
  readonly [Kind in Config['kind']]: (
    config: Extract<Config, { kind: Kind }>,
    wiring: LocalWiring,
  ) => Promise<Port>;
};

/*
 * The adapter of each port by the kind the environment names (a new kind is one entry here and
 * one in backends-config.ts). Cloud kinds are imported only when chosen, so a local start does not
 * load the Bedrock and Pinecone SDKs.
 */

const embedders: Factories<EmbedderConfig, Embedder> = {
  local: async () => new HashedEmbedder(),
  'openai-compatible': async (config) => {
    const { OpenAICompatibleEmbedder } =
      await import('../adapters/openai-compatible/openai-compatible-embedder.js');
    return new OpenAICompatibleEmbedder(config);
  },
  bedrock: async (config, wiring) => (await wiring.cloud()).bedrockEmbedder(config, await wiring.bedrock()),
};

const indexes: Factories<Exclude<IndexConfig, { kind: 'local' }>, VectorQuery> = {
  pinecone: async (config, wiring) =>
    (await wiring.cloud()).pineconeRetriever(config, wiring.config.backends.secretsManager),
};

const generators: Factories<GeneratorConfig, Generator> = {
  extractive: async () => new ExtractiveGenerator(),
  'openai-compatible': async (config) => {
    const { OpenAICompatibleGenerator } =
      await import('../adapters/openai-compatible/openai-compatible-generator.js');
    return new OpenAICompatibleGenerator(config);
  },
  bedrock: async (config, wiring) => (await wiring.cloud()).bedrockGenerator(config, await wiring.bedrock()),
};

const guardrails: Factories<GuardrailConfig, Guardrail> = {
  rules: async (_config, wiring) =>
    new RuleGuardrail({ denyList: denyListFromEnv(wiring.config.guardrailDenyList) }),
  bedrock: async (config, wiring) => (await wiring.cloud()).cloudGuardrail(config, await wiring.bedrock()),
  none: async () => new PassThroughGuardrail(),
};

function build<Config extends { readonly kind: string }, Port>(
  factories: Factories<Config, Port>,
  config: Config,
  wiring: LocalWiring,
): Promise<Port> {
  const factory = factories[config.kind as Config['kind']] as (
    config: Config,
    wiring: LocalWiring,
  ) => Promise<Port>;
  return factory(config, wiring);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/**
 * The local index holds the vectors of an embedder that runs here (hashed n-grams, or an
 * OpenAI-compatible model server's); openLocalRetrieval pairs it with that embedder and refuses
 * Bedrock's, whose dense vectors belong in Pinecone.
 */
function openLocalIndex(config: ServingConfig) {
  return openLocalRetrieval(config.dataDir, { embedder: config.backends.embedder });
}

export interface LocalServingOptions {
  readonly config: ServingConfig;
  readonly security: SecurityConfig;
  /** The embedded DynamoDB's client (or one for DYNAMODB_ENDPOINT): sessions and quotas. */
  readonly dynamo: DynamoDBClient;
  /** Who may ask for the deep readiness check. @default see ServingParts.authenticate */
  readonly authenticate?: ServingParts['authenticate'];
}

/**
 * The local server's composition root: the embedded defaults (file index, hashed embedder,
 * extractive generator, rule guardrail) unless the environment picks another adapter for a port,
 * sessions and quotas in the embedded DynamoDB whose client the server already holds.
 */
export async function localServingServices(options: LocalServingOptions): Promise<ServingServices> {
  const { config, security, dynamo, authenticate } = options;
  const backends: BackendsConfig = config.backends;
  const wiring: LocalWiring = {
    config,
    cloud: once(() => import('../composition/cloud-adapters.js')),
    bedrock: once(async () =>
      (await import('../adapters/bedrock/bedrock-client.js')).bedrockRuntimeClient(backends.bedrock),
    ),
  };
  const local = backends.index.kind === 'local' ? await openLocalIndex(config) : undefined;
  const [embedder, index, generator, guardrail] = await Promise.all([
    local ? local.embedder : build(embedders, backends.embedder, wiring),
    local ? local.index : build(indexes, backends.index as Exclude<IndexConfig, { kind: 'local' }>, wiring),
    build(generators, backends.generator, wiring),
    build(guardrails, backends.guardrail, wiring),
  ]);
  const clock = systemClock;
  const stores = dynamoStores(config, security, dynamo, clock);
  return servingServices({
    config,
    security,
    ...stores,
    ...(authenticate && { authenticate }),
    ports: { embedder, index, generator, guardrail, sessions: stores.sessions, clock },
  });
}
