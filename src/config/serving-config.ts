import * as z from 'zod/mini';
import { BACKENDS, EnvVar } from '../shared/env.js';
import { DEFAULT_SESSION_TTL_DAYS } from '../shared/sessions.js';
import { Defaults } from '../shared/limits.js';
import { SERVICE_VERSION } from '../shared/version.js';
import { resolveBackends, type BackendsConfig } from './backends-config.js';
import { invalidVariable } from './configuration-error.js';
import { GUARDRAIL_STREAM_MODES, type GuardrailStreamMode } from '../core/checked-stream.js';

export { ConfigurationError } from './configuration-error.js';

export type { BackendsConfig } from './backends-config.js';

const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  EnvVar.pineconeApiKey,
  EnvVar.token,
  EnvVar.openaiApiKey,
]);

const positiveInt = (fallback: number) =>
  z.pipe(
    z._default(z.string(), String(fallback)),
    z.pipe(
      z.transform(Number),
      z
        .int({ error: 'must be a positive integer' })
        .check(z.positive({ error: 'must be a positive integer' })),
    ),
  );

const optionalPositiveInt = z.optional(
  z.pipe(
    z.string(),
    z.pipe(
      z.transform(Number),
      z
        .int({ error: 'must be a positive integer' })
        .check(z.positive({ error: 'must be a positive integer' })),
    ),
  ),
);

const nonEmpty = z.string().check(z.minLength(1, { error: 'must not be empty' }));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of: ${values.join(', ')}` });

const envSchema = z.object({
  [EnvVar.endpointName]: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'must be 1 to 63 letters, digits, _ or -' })),
    Defaults.endpointName,
  ),
  [EnvVar.backend]: z._default(
    z.enum(BACKENDS, { error: `must be one of: ${BACKENDS.join(', ')}` }),
    'local',
  ),
  [EnvVar.dataDir]: z._default(z.string().check(z.minLength(1, { error: 'must not be empty' })), '.rag'),
  [EnvVar.sessionTable]: z._default(
    z.string().check(
      z.regex(/^[A-Za-z0-9_.-]{3,255}$/, {
        error: 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)',
      }),
    ),
    'rag-sessions',
  ),
  [EnvVar.sessionTtlDays]: positiveInt(DEFAULT_SESSION_TTL_DAYS),
  [EnvVar.dynamodbEndpoint]: z.optional(z.url({ error: 'must be a URL such as http://127.0.0.1:8000' })),
  [EnvVar.guardrailDenyList]: z.optional(z.string()),
  [EnvVar.requestTimeoutMs]: positiveInt(Defaults.requestTimeoutMs),
  [EnvVar.streamFirstByteMs]: optionalPositiveInt,
  [EnvVar.streamTimeoutMs]: optionalPositiveInt,
  [EnvVar.batchConcurrency]: positiveInt(Defaults.batchConcurrency),
  [EnvVar.version]: z._default(z.string(), SERVICE_VERSION),
  [EnvVar.embedder]: z.optional(oneOf(['local', 'bedrock', 'openai-compatible'])),
  [EnvVar.index]: z.optional(oneOf(['local', 'pinecone'])),
  [EnvVar.generator]: z.optional(oneOf(['extractive', 'bedrock', 'openai-compatible'])),
  [EnvVar.guardrail]: z.optional(oneOf(['rules', 'bedrock', 'none'])),
  [EnvVar.guardrailMode]: z._default(oneOf(['apply', 'converse']), 'apply'),
  [EnvVar.guardrailStreamMode]: z._default(oneOf(GUARDRAIL_STREAM_MODES), 'sync'),
  [EnvVar.bedrockEndpoint]: z.optional(z.url({ error: 'must be a URL such as http://127.0.0.1:4010' })),
  [EnvVar.bedrockRegion]: z.optional(nonEmpty),
  [EnvVar.embeddingModelId]: z._default(nonEmpty, 'amazon.titan-embed-text-v2:0'),
  [EnvVar.embeddingDimensions]: optionalPositiveInt,
  [EnvVar.generationModelId]: z.optional(nonEmpty),
  [EnvVar.condenseModelId]: z.optional(nonEmpty),
  [EnvVar.guardrailId]: z.optional(nonEmpty),
  [EnvVar.guardrailVersion]: z.optional(
    z.string().check(z.regex(/^(DRAFT|[1-9]\d{0,7})$/, { error: 'must be DRAFT or a version number' })),
  ),
  [EnvVar.pineconeHost]: z.optional(nonEmpty),
  [EnvVar.pineconeIndex]: z.optional(nonEmpty),
  [EnvVar.pineconeNamespace]: z.optional(z.string()),
  [EnvVar.pineconeApiKeySecretId]: z.optional(nonEmpty),
  [EnvVar.pineconeApiKey]: z.optional(nonEmpty),
  [EnvVar.openaiBaseUrl]: z.optional(z.url({ error: 'must be a URL such as http://127.0.0.1:11434/v1' })),
  [EnvVar.openaiModel]: z.optional(nonEmpty),
  [EnvVar.openaiEmbeddingModel]: z.optional(nonEmpty),
  [EnvVar.openaiApiKey]: z.optional(nonEmpty),
  [EnvVar.secretsManagerEndpoint]: z.optional(
    z.url({ error: 'must be a URL such as http://127.0.0.1:4566' }),
  ),
});

export type ServingEnvironment = z.output<typeof envSchema>;

export interface ServingConfig {
  readonly endpointName: string;
  readonly backend: (typeof BACKENDS)[number];
  readonly dataDir: string;
  readonly sessionTable: string;
  readonly sessionTtlDays: number;
  /** Set when sessions live in a local DynamoDB (dynalite); absent means AWS. */
  readonly dynamodbEndpoint?: string;
  readonly guardrailDenyList?: string;
  readonly requestTimeoutMs: number;
  /** A streamed answer's budget until it opens. */
  readonly streamFirstByteMs: number;
  /** A streamed answer's budget to its last byte (API Gateway allows a stream up to 15 minutes). */
  readonly streamTimeoutMs: number;
  readonly batchConcurrency: number;
  readonly version: string;
  /** How streamed answers meet the output guardrail (`RAG_GUARDRAIL_STREAM_MODE`). */
  readonly guardrailStreamMode: GuardrailStreamMode;
  /** Which adapter serves each port, with its settings. */
  readonly backends: BackendsConfig;
}

/** Parses the environment once at cold start; a bad value fails here, not on the first request. */
export function loadServingConfig(env: NodeJS.ProcessEnv): ServingConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    // A secret's value never goes into a message that ends up in logs.
    const shown = SECRET_VARIABLES.has(variable) ? '(redacted)' : env[variable];
    throw invalidVariable(variable, shown, issue?.message ?? 'invalid value');
  }
  const e = parsed.data;
  const streamTimeoutMs = e[EnvVar.streamTimeoutMs] ?? e[EnvVar.requestTimeoutMs];
  const streamFirstByteMs =
    e[EnvVar.streamFirstByteMs] ?? Math.min(e[EnvVar.requestTimeoutMs], streamTimeoutMs);
  if (streamFirstByteMs > streamTimeoutMs) {
    throw invalidVariable(
      EnvVar.streamFirstByteMs,
      String(streamFirstByteMs),
      `must be at most ${EnvVar.streamTimeoutMs} (${streamTimeoutMs})`,
    );
  }
  return {
    endpointName: e[EnvVar.endpointName],
    backend: e[EnvVar.backend],
    dataDir: e[EnvVar.dataDir],
    sessionTable: e[EnvVar.sessionTable],
    sessionTtlDays: e[EnvVar.sessionTtlDays],
    ...(e[EnvVar.dynamodbEndpoint] !== undefined && { dynamodbEndpoint: e[EnvVar.dynamodbEndpoint] }),
    ...(e[EnvVar.guardrailDenyList] !== undefined && { guardrailDenyList: e[EnvVar.guardrailDenyList] }),
    requestTimeoutMs: e[EnvVar.requestTimeoutMs],
    streamFirstByteMs,
    streamTimeoutMs,
    batchConcurrency: e[EnvVar.batchConcurrency],
    version: e[EnvVar.version],
    guardrailStreamMode: e[EnvVar.guardrailStreamMode],
    backends: resolveBackends(e),
  };
}
