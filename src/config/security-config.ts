import * as z from 'zod/mini';
import { EnvVar } from '../shared/env.js';
import { ConfigurationError } from './serving-config.js';

const nonNegativeInt = (fallback: number) =>
  z.pipe(
    z._default(z.string(), String(fallback)),
    z.pipe(
      z.transform(Number),
      z
        .int({ error: 'must be a whole number, 0 or more' })
        .check(z.nonnegative({ error: 'must be a whole number, 0 or more' })),
    ),
  );

const tableName = z.string().check(
  z.regex(/^[A-Za-z0-9_.-]{3,255}$/, {
    error: 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)',
  }),
);

const envSchema = z.object({
  [EnvVar.tokenTable]: z.optional(tableName),
  [EnvVar.usageTable]: z._default(tableName, 'rag-usage'),
  [EnvVar.quotaRpm]: nonNegativeInt(0),
  [EnvVar.quotaTpm]: nonNegativeInt(0),
  [EnvVar.quotaWindowSeconds]: z.pipe(
    nonNegativeInt(60),
    z.number().check(z.minimum(1, { error: 'must be at least 1' })),
  ),
  [EnvVar.authCacheSeconds]: nonNegativeInt(30),
  [EnvVar.logPrompts]: z._default(z.enum(['true', 'false'], { error: 'must be true or false' }), 'false'),
  [EnvVar.logLevel]: z.optional(z.string()),
});

/** Authentication, quotas and log hygiene, read from the same environment as the serving config. */
export interface SecurityConfig {
  /** DynamoDB token table; absent means the token file under the data directory (local). */
  readonly tokenTable?: string;
  readonly usageTable: string;
  /** Requests per principal per window; 0 = unlimited. */
  readonly quotaRpm: number;
  /** Model tokens per principal per window; 0 = unlimited. */
  readonly quotaTpm: number;
  readonly quotaWindowSeconds: number;
  /** How long the authorizer trusts a verified token without a look-up; 0 = every request. */
  readonly authCacheSeconds: number;
  /** Log request bodies (prompts) for debugging; tokens and PII stay masked. */
  readonly logPrompts: boolean;
  readonly logLevel?: string;
}

/** Parses once at cold start; a bad value fails here naming the variable, not on the first request. */
export function loadSecurityConfig(env: NodeJS.ProcessEnv): SecurityConfig {
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
    ...(e[EnvVar.tokenTable] !== undefined && { tokenTable: e[EnvVar.tokenTable] }),
    usageTable: e[EnvVar.usageTable],
    quotaRpm: e[EnvVar.quotaRpm],
    quotaTpm: e[EnvVar.quotaTpm],
    quotaWindowSeconds: e[EnvVar.quotaWindowSeconds],
    authCacheSeconds: e[EnvVar.authCacheSeconds],
    logPrompts: e[EnvVar.logPrompts] === 'true',
    ...(e[EnvVar.logLevel] !== undefined && { logLevel: e[EnvVar.logLevel] }),
  };
}
