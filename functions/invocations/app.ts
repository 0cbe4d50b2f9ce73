import middy from '@middy/core';
import { servingErrors } from '../../src/http/serving-errors.js';
import { responseHeaders } from '../../src/http/response-headers.js';
import { requestMetrics } from '../../src/http/request-metrics.js';
import { publishMetrics } from '../../src/http/publish-metrics.js';
import { responseCompletion } from '../../src/http/response-completion.js';
import { router } from '../../src/routes/router.js';
import { invocationsRoute } from '../../src/routes/invocations.js';
import { healthRoute, versionRoute } from '../../src/routes/service-info.js';
import { readinessRoute } from '../../src/routes/readiness.js';
import { chatCompletionsRoute } from '../../src/routes/chat-completions.js';
import { toOpenAiErrorBody } from '../../src/core/protocol/chat-response.js';
import { toErrorBody } from '../../src/core/protocol/response.js';
import { deleteSessionRoute, getSessionRoute, listSessionsRoute } from '../../src/routes/sessions.js';
import { feedbackRoute } from '../../src/routes/feedback.js';
import { accessLog } from '../../src/http/access-log.js';
import {
  CHAT_COMPLETIONS_RESOURCE,
  FEEDBACK_RESOURCE,
  INVOCATIONS_RESOURCE,
  SESSIONS_RESOURCE,
  SESSION_RESOURCE,
} from '../../src/shared/routes.js';
import type { ServingServices } from '../../src/composition/serving-services.js';

/**
 * The invocations function: one streaming handler for every route of the API.
 * API Gateway sets streaming per integration, so even buffered JSON answers go through the stream.
 */
export function createServingHandler(services: ServingServices) {
  const { logger, metrics, config, security } = services;
  const { sessions, quota, clock } = security;
  const routes = router({
    'GET /ping': healthRoute,
    'GET /health': readinessRoute({ ...services.readiness, probeTimeoutMs: config.requestTimeoutMs }),
    'GET /version': versionRoute(config),
    [`POST ${INVOCATIONS_RESOURCE}`]: invocationsRoute({
      ...config,
      pipeline: services.pipeline,
      metrics,
      logger,
      quota,
    }),
    [`POST ${CHAT_COMPLETIONS_RESOURCE}`]: chatCompletionsRoute({
      ...config,
      pipeline: services.pipeline,
      metrics,
      logger,
      quota,
    }),
    [`GET ${SESSIONS_RESOURCE}`]: listSessionsRoute({ sessions }),
    [`GET ${SESSION_RESOURCE}`]: getSessionRoute({ sessions }),
    [`DELETE ${SESSION_RESOURCE}`]: deleteSessionRoute({ sessions }),
    [`POST ${FEEDBACK_RESOURCE}`]: feedbackRoute({ sessions, clock }),
  });
  return middy(routes, { streamifyResponse: true })
    .use(responseCompletion())
    .use(publishMetrics(metrics.metrics))
    .use(requestMetrics(metrics))
    .use(accessLog({ logger, logPrompts: security.config.logPrompts }))
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
