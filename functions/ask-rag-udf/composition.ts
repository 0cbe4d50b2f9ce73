import type { Logger } from '@aws-lambda-powertools/logger';
import type { RagPipeline } from '../../src/core/pipeline.js';
import type { QuotaEnforcer } from '../../src/core/quota.js';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';

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

/**
 * The Lambda's own composition root, so the UDF answers exactly as the invocations function does:
 * the cloud adapters wired statically (no local adapter in its bundle), each client built once.
 */
export async function askRagServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<AskRagServices> {
  const services = await lambdaServingServices(env);
  return {
    pipeline: services.pipeline,
    quota: services.security.quota,
    logger: services.logger,
    rowConcurrency: services.config.batchConcurrency,
    rowTimeoutMs: services.config.requestTimeoutMs,
  };
}
