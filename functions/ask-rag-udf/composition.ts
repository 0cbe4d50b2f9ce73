import type { Logger } from '@aws-lambda-powertools/logger';
import { RagPipeline } from '../../src/core/pipeline.js';
import { systemClock } from '../../src/core/ports/clock.js';
import type { QuotaEnforcer } from '../../src/core/quota.js';
import { loadSecurityConfig } from '../../src/config/security-config.js';
import { loadServingConfig } from '../../src/config/serving-config.js';
import { dynamoClientForEndpoint } from '../../src/composition/dynamo-client.js';
import { pipelinePorts } from '../../src/composition/pipeline-ports.js';
import { securityServices } from '../../src/composition/security-services.js';

/** What the Redshift UDF needs, built once per container from the same variables as the invocations function. */
export interface AskRagServices {
  /** The same pipeline the invocations route answers with. */
  readonly pipeline: RagPipeline;
  /** Per-principal quotas (`RAG_QUOTA_RPM`, `RAG_QUOTA_TPM`), counted in the usage table. */
  readonly quota: QuotaEnforcer;
  readonly logger: Logger;
  /** Rows answered at once (`RAG_BATCH_CONCURRENCY`). */
  readonly rowConcurrency: number;
  /** Time budget of one row (`RAG_REQUEST_TIMEOUT_MS`). */
  readonly rowTimeoutMs: number;
}

export async function askRagServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<AskRagServices> {
  const config = loadServingConfig(env);
  const dynamo = dynamoClientForEndpoint(config.dynamodbEndpoint);
  const security = securityServices(loadSecurityConfig(env), config, dynamo, systemClock);
  return {
    pipeline: new RagPipeline(await pipelinePorts(config, dynamo)),
    quota: security.quota,
    logger: security.logger,
    rowConcurrency: config.batchConcurrency,
    rowTimeoutMs: config.requestTimeoutMs,
  };
}
