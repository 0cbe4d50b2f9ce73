import middy from '@middy/core';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { servingErrors } from '../../src/http/serving-errors.js';
import { responseHeaders } from '../../src/http/response-headers.js';
import { requestMetrics } from '../../src/http/request-metrics.js';
import { router } from '../../src/routes/router.js';
import { invocationsRoute } from '../../src/routes/invocations.js';
import { healthRoute, versionRoute } from '../../src/routes/service-info.js';
import { chatCompletionsRoute } from '../../src/routes/chat-completions.js';
import { toOpenAiErrorBody } from '../../src/core/protocol/chat-response.js';
import { toErrorBody } from '../../src/core/protocol/response.js';
import { CHAT_COMPLETIONS_RESOURCE, INVOCATIONS_RESOURCE } from '../../src/shared/routes.js';
import type { ServingServices } from '../../src/composition/serving-services.js';

/**
 * The invocations function: one streaming handler for every route of the API.
 * API Gateway sets streaming per integration, so even buffered JSON answers go through the stream.
 */
export function createServingHandler(services: ServingServices) {
  const { logger, metrics, config } = services;
  const routes = router({
    'GET /ping': healthRoute,
    'GET /health': healthRoute,
    'GET /version': versionRoute(config),
    [`POST ${INVOCATIONS_RESOURCE}`]: invocationsRoute({
      ...config,
      pipeline: services.pipeline,
      metrics,
      logger,
    }),
    [`POST ${CHAT_COMPLETIONS_RESOURCE}`]: chatCompletionsRoute({
      ...config,
      pipeline: services.pipeline,
      metrics,
      logger,
    }),
  });
  return middy(routes, { streamifyResponse: true })
    .use(logMetrics(metrics.metrics, { captureColdStartMetric: true }))
    .use(requestMetrics(metrics))
    .use(responseHeaders())
    .use(
      servingErrors({
        logger,
        // OpenAI clients read OpenAI's error shape; every other route answers Databricks-style.
        format: (error, event) =>
          event.resource === CHAT_COMPLETIONS_RESOURCE ? toOpenAiErrorBody(error) : toErrorBody(error),
      }),
    );
}
