/**
 * The API's routes, as API Gateway resources. The CDK API and the local HTTP adapter are both
 * built from this list, so they cannot disagree about what exists and what needs a token.
 * A listed route that the handler does not serve yet answers 404 NOT_FOUND from the handler's router.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly resource: string;
  readonly authorized: boolean;
}

export const INVOCATIONS_RESOURCE = '/serving-endpoints/{name}/invocations';
/** OpenAI-compatible chat route; `model` in the body names the endpoint. Errors in OpenAI's shape. */
export const CHAT_COMPLETIONS_RESOURCE = '/serving-endpoints/chat/completions';
export const SESSIONS_RESOURCE = '/sessions';
export const SESSION_RESOURCE = '/sessions/{id}';
export const FEEDBACK_RESOURCE = '/feedback';

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', resource: '/ping', authorized: false },
  { method: 'GET', resource: '/health', authorized: false },
  { method: 'GET', resource: '/version', authorized: false },
  { method: 'POST', resource: INVOCATIONS_RESOURCE, authorized: true },
  { method: 'POST', resource: CHAT_COMPLETIONS_RESOURCE, authorized: true },
  { method: 'GET', resource: SESSIONS_RESOURCE, authorized: true },
  { method: 'GET', resource: SESSION_RESOURCE, authorized: true },
  { method: 'DELETE', resource: SESSION_RESOURCE, authorized: true },
  { method: 'POST', resource: FEEDBACK_RESOURCE, authorized: true },
];
