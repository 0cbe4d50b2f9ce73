import { EndpointNotFoundError } from '../core/errors.js';
import { parseChatRequest } from '../core/protocol/chat-request.js';
import { parseJsonObjectBody } from '../core/protocol/request-body.js';
import { principalFromEvent, requireScope } from '../auth/principal.js';
import { header, type HttpResponse, type LambdaContext, type ProxyEvent } from '../http/types.js';
import { answerChat, type ChatAnswerOptions } from './chat.js';
import { chatBudgets, type BudgetOptions } from './request-budget.js';
import type { QuotaEnforcer } from '../core/quota.js';

export interface ChatCompletionsRouteOptions extends ChatAnswerOptions, BudgetOptions {
  /** Per-principal requests and tokens per minute; absent means unlimited. */
  readonly quota?: QuotaEnforcer;
}

/**
 * `POST /serving-endpoints/chat/completions`, OpenAI-compatible as Databricks offers it: `model`
 * names the endpoint, so an OpenAI client with `baseURL = <host>/serving-endpoints` works
 * unchanged. The session comes from `session_id` or `x-session-id`; without one, the messages
 * carry the history and nothing is stored. Errors take OpenAI's shape (see `servingErrors`).
 */
export function chatCompletionsRoute(options: ChatCompletionsRouteOptions) {
  return async (event: ProxyEvent, context: LambdaContext): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    requireScope(principal, 'invoke');
    await options.quota?.admit(principal.id);
    const body = parseJsonObjectBody({
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      contentType: header(event, 'content-type'),
    });
    const chat = parseChatRequest(body, {
      requireModel: true,
      headerSessionId: header(event, 'x-session-id'),
    });
    if (chat.model !== options.endpointName) throw new EndpointNotFoundError(chat.model ?? '');
    return answerChat(options, chat, principal, chatBudgets(options, context));
  };
}
