import type { LambdaContext } from '../../src/http/types.js';
import { answerRows, batchResults } from '../../src/redshift/answer-rows.js';
import { readUdfEvent, udfFailure, udfSuccess, UdfEventError } from '../../src/redshift/udf-protocol.js';
import { REDSHIFT_PRINCIPAL_PREFIX } from '../../src/shared/redshift.js';
import type { AskRagServices } from './composition.js';

/** Time kept back from the Lambda's remaining time to build and return the batch's answer. */
export const ANSWER_MARGIN_MS = 500;

/**
 * `ask_rag(query, session_id)`, the Redshift Lambda UDF: each row answered through the pipeline
 * as the Redshift user running the statement (principal `redshift:<user>`), so session ownership
 * and quotas hold as on the HTTP API. Returns the protocol's JSON string, never throws.
 */
export function createAskRagHandler(services: AskRagServices) {
  const { logger } = services;
  return async (
    event: unknown,
    context: Pick<LambdaContext, 'getRemainingTimeInMillis'>,
  ): Promise<string> => {
    let batch;
    try {
      batch = readUdfEvent(event);
    } catch (error) {
      if (error instanceof UdfEventError) return udfFailure(error.message);
      throw error;
    }
    const outcomes = await answerRows(batch.arguments, {
      pipeline: services.pipeline,
      quota: services.quota,
      principal: `${REDSHIFT_PRINCIPAL_PREFIX}${batch.user}`,
      concurrency: services.rowConcurrency,
      rowTimeoutMs: services.rowTimeoutMs,
      deadlineAt: Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
      onUnexpectedError: (error) => logger.error('unexpected failure of a row', error as Error),
    });
    const count = (kind: string) => outcomes.filter((outcome) => outcome.kind === kind).length;
    // Counts and ids only: no question or answer text reaches the logs.
    logger.info('ask_rag batch', {
      redshiftRequestId: batch.requestId,
      redshiftQueryId: batch.queryId,
      rows: outcomes.length,
      answered: count('answered'),
      failed: count('failed'),
      nulls: count('null'),
    });
    const results = batchResults(outcomes);
    return results.ok ? udfSuccess(results.results) : udfFailure(results.errorMessage);
  };
}
