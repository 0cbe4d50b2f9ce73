import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.js';
import { DynamoUsageStore } from '../adapters/dynamodb/usage-store.js';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import type { UsageStore } from '../core/ports/usage-store.js';
import type { SecurityConfig } from '../config/security-config.js';
import type { ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { securityServices, type SecurityServices } from './security-services.js';

/** Everything a serving handler needs, built once per container by a composition root. */
export interface ServingServices {
  readonly config: ServingConfig;
  readonly pipeline: RagPipeline;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  /** Session API, quotas, redacting logger. */
  readonly security: SecurityServices;
}

/** What a composition root built: the pipeline's ports and the stores the session API and quotas use. */
export interface ServingParts {
  readonly config: ServingConfig;
  readonly security: SecurityConfig;
  readonly ports: PipelinePorts;
  readonly sessions: SessionRecords;
  readonly usage: UsageStore;
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
