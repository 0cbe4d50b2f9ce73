import type { Logger } from '@aws-lambda-powertools/logger';
import pLimit from 'p-limit';
import { EndpointNotFoundError } from '../core/errors.js';
import { withDeadline } from '../core/deadline.js';
import type { RagPipeline } from '../core/pipeline.js';
import { parseInvocation, type RecordsInvocation } from '../core/protocol/invocation-request.js';
import { parseJsonObjectBody } from '../core/protocol/request-body.js';
import { toWirePrediction } from '../core/protocol/response.js';
import { principalFromEvent, requireScope, type Principal } from '../auth/principal.js';
import {
  header,
  jsonResponse,
  type HttpResponse,
  type LambdaContext,
  type ProxyEvent,
} from '../http/types.js';
import type { ServingMetrics } from '../observability/serving-metrics.js';
import { parseChatRequest } from '../core/protocol/chat-request.js';
import { answerChat } from './chat.js';
import { chatBudgets, requestBudgetMs, type BudgetOptions } from './request-budget.js';
import type { QuotaEnforcer } from '../core/quota.js';
import type { Usage } from '../core/ports/types.js';
import { CITED_SOURCES_LOG } from '../shared/logs.js';

export interface InvocationsRouteOptions extends BudgetOptions {
  readonly pipeline: RagPipeline;
  /**
   * Failed streams are logged as warnings; each answered records request writes one INFO line
   * naming the cited sources (the dashboard's "most cited documents").
   */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly endpointName: string;
  readonly metrics: ServingMetrics;
  /** Records of one batch answered at once. */
  readonly batchConcurrency: number;
  /** Per-principal requests and tokens per minute; absent means unlimited. */
  readonly quota?: QuotaEnforcer;
}

/**
 * `POST /serving-endpoints/{name}/invocations`: parse, answer each record (bounded concurrency),
 * keep order. A chat-style body (`messages`) is answered as a chat completion, streamed on request.
 */
export function invocationsRoute(options: InvocationsRouteOptions) {
  const limit = pLimit(options.batchConcurrency);

  const answerRecords = (
    invocation: RecordsInvocation,
    principal: Principal,
    signal: AbortSignal,
    usage: Usage[],
  ) =>
    Promise.all(
      invocation.records.map((record) =>
        limit(async () => {
          const answer = await options.pipeline.answer({
            query: record.query,
            ...(record.sessionId !== undefined && { sessionId: record.sessionId }),
            principal: principal.id,
            params: invocation.params,
            ...(principal.namespace !== undefined && { namespace: principal.namespace }),
            abortSignal: signal,
          });
          options.metrics.recordAnswer(answer);
          usage.push(answer.usage);
          return toWirePrediction(answer, invocation.params.returnTrace);
        }),
      ),
    );

  return async (event: ProxyEvent, context: LambdaContext): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    const name = event.pathParameters?.name ?? '';
    if (name !== options.endpointName) throw new EndpointNotFoundError(name);
    requireScope(principal, 'invoke');
    await options.quota?.admit(principal.id);
    const body = parseJsonObjectBody({
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      contentType: header(event, 'content-type'),
    });
    const invocation = parseInvocation(body);
    if (invocation.kind === 'chat') {
      const chat = parseChatRequest(invocation.body, {
        requireModel: false,
        headerSessionId: header(event, 'x-session-id'),
      });
      return answerChat(options, chat, principal, chatBudgets(options, context));
    }
    const budgetMs = requestBudgetMs(options.requestTimeoutMs, context);
    const usage: Usage[] = [];
    try {
      const predictions = await withDeadline(budgetMs, (signal) =>
        answerRecords(invocation, principal, signal, usage),
      );
      // Source names only, once per prediction: no query, answer or chunk text reaches the logs.
      options.logger?.info(CITED_SOURCES_LOG.message, {
        [CITED_SOURCES_LOG.field]: predictions.flatMap((p) => [...new Set(p.sources.map((s) => s.source))]),
      });
      return jsonResponse(200, { predictions });
    } finally {
      // Tokens spent count even when another record of the batch failed or time ran out.
      await options.quota?.charge(principal.id, sumUsage(usage));
    }
  };
}

const sumUsage = (usages: readonly Usage[]): Usage =>
  usages.reduce(
    (total, u) => ({
      inputTokens: total.inputTokens + u.inputTokens,
      outputTokens: total.outputTokens + u.outputTokens,
    }),
    { inputTokens: 0, outputTokens: 0 },
  );
