import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecurityConfig } from '../config/security-config.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import type { UsageStore } from '../core/ports/usage-store.js';
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

/** The redacting logger and the quota enforcer over stores the composition root built. */
export function securityServices(
  config: SecurityConfig,
  stores: { readonly sessions: SessionRecords; readonly usage: UsageStore },
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
    sessions: stores.sessions,
    quota: new QuotaEnforcer({
      store: stores.usage,
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
