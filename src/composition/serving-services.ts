import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.js';
import { DynamoUsageStore } from '../adapters/dynamodb/usage-store.js';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import type { UsageStore } from '../core/ports/usage-store.js';
import type { SecurityConfig } from '../config/security-config.js';
import type { ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { securityServices, type SecurityServices } from './security-services.js';
import { pipelineProbes } from '../health/pipeline-probes.js';
import type { ReadinessProbe } from '../health/readiness.js';
import { deepCheckAuthenticator } from '../auth/deep-check-authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { TokenStore } from '../auth/token-store.js';
import type { ProxyEvent } from '../http/types.js';
import { EnvVar } from '../shared/env.js';
import { tokenStoreFromEnvironment } from './token-store-from-env.js';

/** Everything a serving handler needs, built once per container by a composition root. */
export interface ServingServices {
  readonly config: ServingConfig;
  readonly pipeline: RagPipeline;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  /** Session API, quotas, redacting logger. */
  readonly security: SecurityServices;
  /** `GET /health?deep=true`: a probe per configured backend, and who may ask. */
  readonly readiness: {
    readonly probes: readonly ReadinessProbe[];
    readonly authenticate: (event: ProxyEvent) => Promise<Principal | undefined>;
  };
}

/** Only principals an authorizer (or a direct invoke) put into the request context. */
const contextPrincipalsOnly = deepCheckAuthenticator(async () => undefined, systemClock);

/** What a composition root built: the pipeline's ports and the stores the session API and quotas use. */
export interface ServingParts {
  readonly config: ServingConfig;
  readonly security: SecurityConfig;
  readonly ports: PipelinePorts;
  readonly sessions: SessionRecords;
  readonly usage: UsageStore;
  /**
   * Who may ask for the deep readiness check (admin scope).
   * @default only principals an authorizer or a direct invoke put into the request context
   */
  readonly authenticate?: ServingServices['readiness']['authenticate'];
}

export function servingServices(parts: ServingParts): ServingServices {
  const { config, ports } = parts;
  const security = securityServices(parts.security, parts, ports.clock);
  // Without a separate guardrail check there is nothing to wait for: text goes out as generated
  // (a guardrail attached to ConverseStream applies the stage's mode itself).
  const guardrailStreamMode =
    config.backends.guardrail.kind === 'none' ? 'async' : config.guardrailStreamMode;
  return {
    config,
    pipeline: new RagPipeline(ports, { guardrailStreamMode }),
    logger: security.logger,
    metrics: new ServingMetrics(),
    security,
    readiness: { probes: pipelineProbes(ports), authenticate: parts.authenticate ?? contextPrincipalsOnly },
  };
}

/** The deep check's authenticator for a composition root: bearer tokens verified against the token store. */
export function deepCheckAuthentication(
  env: NodeJS.ProcessEnv,
  clock: Clock,
): ServingServices['readiness']['authenticate'] {
  return deepCheckAuthenticator(lazyTokenStore(env), clock);
}

/**
 * The token store the deep health check verifies bearer tokens with: the token table when one is
 * named, the local token file outside Lambda; created on the first deep check. (Imported
 * statically: a dynamic import would make esbuild wrap the DynamoDB client's whole index
 * un-tree-shaken into the bundle, ≈ 60 kB.)
 */
function lazyTokenStore(env: NodeJS.ProcessEnv): () => Promise<TokenStore | undefined> {
  let store: Promise<TokenStore | undefined> | undefined;
  return () => {
    store ??=
      env[EnvVar.tokenTable] || env.AWS_LAMBDA_FUNCTION_NAME === undefined
        ? Promise.resolve(tokenStoreFromEnvironment(env))
        : Promise.resolve(undefined);
    return store;
  };
}

/** One DynamoDB session store (the pipeline's and the session API's) and the usage counters, over one client. */
export function dynamoStores(
  config: Pick<ServingConfig, 'sessionTable' | 'sessionTtlDays'>,
  security: Pick<SecurityConfig, 'usageTable'>,
  client: DynamoDBClient,
  clock: Clock,
): { readonly sessions: DynamoSessionStore; readonly usage: UsageStore } {
  return {
    sessions: new DynamoSessionStore({
      tableName: config.sessionTable,
      client,
      clock,
      ttlDays: config.sessionTtlDays,
    }),
    usage: new DynamoUsageStore({ tableName: security.usageTable, client }),
  };
}
