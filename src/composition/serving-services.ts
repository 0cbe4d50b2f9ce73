import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import { systemClock } from '../core/ports/clock.js';
import { loadServingConfig, type ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { pipelinePorts } from './pipeline-ports.js';
import { dynamoClientForEndpoint } from './dynamo-client.js';
import { securityServices, type SecurityServices } from './security-services.js';
import { pipelineProbes } from '../health/pipeline-probes.js';
import type { ReadinessProbe } from '../health/readiness.js';
import { deepCheckAuthenticator } from '../auth/deep-check-authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { TokenStore } from '../auth/token-store.js';
import type { ProxyEvent } from '../http/types.js';
import { EnvVar } from '../shared/env.js';
import { tokenStoreFromEnvironment } from './token-store-from-env.js';

/** Everything a serving handler needs, built once per container. */
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

/** A DynamoDB client for the configured endpoint; a local endpoint gets explicit dummy credentials and region. */
export function dynamoClientFor(config: Pick<ServingConfig, 'dynamodbEndpoint'>): DynamoDBClient {
  return dynamoClientForEndpoint(config.dynamodbEndpoint);
}

export function servingServices(
  config: ServingConfig,
  ports: PipelinePorts,
  security: SecurityServices,
  authenticate: ServingServices['readiness']['authenticate'] = contextPrincipalsOnly,
): ServingServices {
  return {
    config,
    pipeline: new RagPipeline(ports),
    logger: security.logger,
    metrics: new ServingMetrics(),
    security,
    readiness: { probes: pipelineProbes(ports), authenticate },
  };
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

export async function servingServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<ServingServices> {
  const config = loadServingConfig(env);
  const dynamo = dynamoClientFor(config);
  const security = securityServices(loadSecurityConfig(env), config, dynamo, systemClock);
  return servingServices(
    config,
    await pipelinePorts(config, dynamo),
    security,
    deepCheckAuthenticator(lazyTokenStore(env), systemClock),
  );
}
