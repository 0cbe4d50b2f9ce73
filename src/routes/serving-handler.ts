import middy from '@middy/core';
import { servingErrors } from '../http/serving-errors.js';
import { responseHeaders } from '../http/response-headers.js';
import { requestMetrics } from '../http/request-metrics.js';
import { publishMetrics } from '../http/publish-metrics.js';
import { responseCompletion } from '../http/response-completion.js';
import { router } from './router.js';
import { invocationsRoute } from './invocations.js';
import { healthRoute, versionRoute } from './service-info.js';
import { readinessRoute } from './readiness.js';
import { chatCompletionsRoute } from './chat-completions.js';
import { toOpenAiErrorBody } from '../core/protocol/chat-response.js';
import { toErrorBody } from '../core/protocol/response.js';
import { deleteSessionRoute, getSessionRoute, listSessionsRoute } from './sessions.js';
import { feedbackRoute } from './feedback.js';
import { accessLog } from '../http/access-log.js';
import {
  CHAT_COMPLETIONS_RESOURCE,
  FEEDBACK_RESOURCE,
  INVOCATIONS_RESOURCE,
  SESSIONS_RESOURCE,
  SESSION_RESOURCE,
} from '../shared/routes.js';
import type { ServingServices } from '../composition/serving-services.js';

/**
 * The invocations function: one streaming handler for every route of the API, served by the Lambda
 * and by the local server alike (each composition root builds the services). API Gateway sets
 * streaming per integration, so even buffered JSON answers go through the stream.
 */
export function createServingHandler(services: ServingServices) {
  const { logger, metrics, config, security, pipeline } = services;
  const { sessions, quota, clock } = security;
  const { endpointName, requestTimeoutMs, streamFirstByteMs, streamTimeoutMs, batchConcurrency } = config;
  const budgets = { requestTimeoutMs, streamFirstByteMs, streamTimeoutMs };
  const answering = { pipeline, endpointName, metrics, logger, quota, ...budgets };
  const routes = router({
    'GET /ping': healthRoute,
    'GET /health': readinessRoute({ ...services.readiness, probeTimeoutMs: requestTimeoutMs }),
    'GET /version': versionRoute({ version: config.version, endpointName }),
    [`POST ${INVOCATIONS_RESOURCE}`]: invocationsRoute({ ...answering, batchConcurrency }),
    [`POST ${CHAT_COMPLETIONS_RESOURCE}`]: chatCompletionsRoute(answering),
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
