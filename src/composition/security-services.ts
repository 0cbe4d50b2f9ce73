import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.js';
import { DynamoUsageStore } from '../adapters/dynamodb/usage-store.js';
import type { SecurityConfig } from '../config/security-config.js';
import type { ServingConfig } from '../config/serving-config.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import { QuotaEnforcer } from '../core/quota.js';
import { createServiceLogger } from '../observability/logger.js';

/** What the session API, quotas and log hygiene need, beside the pipeline. */
export interface SecurityServices {
  readonly config: SecurityConfig;
  readonly logger: Logger;
  readonly sessions: SessionRecords;
  readonly quota: QuotaEnforcer;
  readonly clock: Clock;
}

export function securityServices(
  config: SecurityConfig,
  serving: Pick<ServingConfig, 'sessionTable' | 'sessionTtlDays'>,
  dynamo: DynamoDBClient,
  clock: Clock,
): SecurityServices {
  const logger = createServiceLogger({
    logPrompts: config.logPrompts,
    ...(config.logLevel !== undefined && { logLevel: config.logLevel }),
  });
  return {
    config,
    logger,
    clock,
    sessions: new DynamoSessionStore({
      tableName: serving.sessionTable,
      client: dynamo,
      clock,
      ttlDays: serving.sessionTtlDays,
    }),
    quota: new QuotaEnforcer({
      store: new DynamoUsageStore({ tableName: config.usageTable, client: dynamo }),
      limits: {
        requestsPerWindow: config.quotaRpm,
        tokensPerWindow: config.quotaTpm,
        windowMs: config.quotaWindowSeconds * 1000,
      },
      clock,
      onChargeError: (error) => logger.warn('could not charge tokens to the quota', { error }),
    }),
  };
}
