import { UnauthenticatedError } from '../core/errors.js';
import { requireScope, type Principal } from '../auth/principal.js';
import { jsonResponse, type HttpResponse, type ProxyEvent } from '../http/types.js';
import { runProbes, type ReadinessProbe } from '../health/readiness.js';

export interface ReadinessRouteOptions {
  /** The configured backends, one probe each. */
  readonly probes: readonly ReadinessProbe[];
  /** Who asks for the deep check; undefined for no or a bad token. It needs the `admin` scope. */
  readonly authenticate: (event: ProxyEvent) => Promise<Principal | undefined>;
  /** Time each probe may take. */
  readonly probeTimeoutMs: number;
}

/**
 * `GET /health`: liveness without a token, as load balancers and Databricks clients expect.
 * `GET /health?deep=true` (admin scope): calls every configured backend once and answers 200 when
 * all answered, else 503 naming each failing one as `misconfigured` (with the fix) or
 * `unavailable`. A release's pre-traffic hook runs it on the new version before it takes traffic.
 */
export function readinessRoute(options: ReadinessRouteOptions) {
  return async (event: ProxyEvent): Promise<HttpResponse> => {
    if (event.queryStringParameters?.deep !== 'true') return jsonResponse(200, { status: 'ok' });
    const principal = await options.authenticate(event);
    if (!principal) throw new UnauthenticatedError('The deep health check needs an admin token.');
    requireScope(principal, 'admin');
    const checks = await runProbes(options.probes, options.probeTimeoutMs);
    const ready = checks.every((check) => check.status === 'ok');
    return jsonResponse(ready ? 200 : 503, { status: ready ? 'ok' : 'unready', checks });
  };
}
