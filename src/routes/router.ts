import { RouteNotFoundError } from '../core/errors.js';
import type { HttpResponse, LambdaContext, ProxyEvent } from '../http/types.js';

export type Route = (event: ProxyEvent, context: LambdaContext) => Promise<HttpResponse>;

/** Routes keyed by `METHOD resource`, the resource being API Gateway's template (e.g. `/serving-endpoints/{name}/invocations`). */
export function router(routes: Readonly<Record<string, Route>>): Route {
  return async (event, context) => {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) throw new RouteNotFoundError(event.httpMethod, event.path);
    return route(event, context);
  };
}
