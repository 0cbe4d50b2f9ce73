import type { Clock } from '../core/ports/clock.js';
import { header, type ProxyEvent } from '../http/types.js';
import { authenticate, tokenFromAuthorization } from './authenticate.js';
import { principalFromEvent, type Principal } from './principal.js';
import type { TokenStore } from './token-store.js';

/**
 * Who asks for `GET /health?deep=true`. `/health` has no authorizer in front of it (liveness needs
 * no token), so the principal is either in the request context, where only an authorizer or a
 * direct, IAM-checked invoke of the function (the pre-traffic hook) can have put it, or the bearer
 * token is checked here against the token store, as the authorizer would.
 */
export function deepCheckAuthenticator(
  tokenStore: () => Promise<TokenStore | undefined>,
  clock: Clock,
): (event: ProxyEvent) => Promise<Principal | undefined> {
  return async (event) => {
    const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
    if (typeof context?.principalId === 'string' && context.principalId !== '')
      return principalFromEvent(event);
    const store = await tokenStore();
    if (!store) return undefined;
    return authenticate(tokenFromAuthorization(header(event, 'authorization')), store, clock);
  };
}
