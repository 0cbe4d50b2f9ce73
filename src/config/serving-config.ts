import * as z from 'zod/mini';
import { EnvVar } from '../shared/env.js';
import { DEFAULT_SESSION_TTL_DAYS } from '../shared/sessions.js';
import { Defaults } from '../shared/limits.js';
import { SERVICE_VERSION } from '../shared/version.js';

/** Thrown at start when the environment is wrong; the message names the variable. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

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

const envSchema = z.object({
  [EnvVar.endpointName]: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'must be 1 to 63 letters, digits, _ or -' })),
    Defaults.endpointName,
  ),
  [EnvVar.backend]: z._default(z.enum(['local'], { error: 'must be one of: local' }), 'local'),
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
  [EnvVar.batchConcurrency]: positiveInt(Defaults.batchConcurrency),
  [EnvVar.version]: z._default(z.string(), SERVICE_VERSION),
});

export interface ServingConfig {
  readonly endpointName: string;
  readonly backend: 'local';
  readonly dataDir: string;
  readonly sessionTable: string;
  readonly sessionTtlDays: number;
  /** Set when sessions live in a local DynamoDB (dynalite); absent means AWS. */
  readonly dynamodbEndpoint?: string;
  readonly guardrailDenyList?: string;
  readonly requestTimeoutMs: number;
  readonly batchConcurrency: number;
  readonly version: string;
}

/** Parses the environment once at cold start; a bad value fails here, not on the first request. */
export function loadServingConfig(env: NodeJS.ProcessEnv): ServingConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigurationError(
      `Invalid ${variable}=${JSON.stringify(env[variable] ?? '')}: ${issue?.message ?? 'invalid value'}.`,
    );
  }
  const e = parsed.data;
  return {
    endpointName: e[EnvVar.endpointName],
    backend: e[EnvVar.backend],
    dataDir: e[EnvVar.dataDir],
    sessionTable: e[EnvVar.sessionTable],
    sessionTtlDays: e[EnvVar.sessionTtlDays],
    ...(e[EnvVar.dynamodbEndpoint] !== undefined && { dynamodbEndpoint: e[EnvVar.dynamodbEndpoint] }),
    ...(e[EnvVar.guardrailDenyList] !== undefined && { guardrailDenyList: e[EnvVar.guardrailDenyList] }),
    requestTimeoutMs: e[EnvVar.requestTimeoutMs],
    batchConcurrency: e[EnvVar.batchConcurrency],
    version: e[EnvVar.version],
  };
}
