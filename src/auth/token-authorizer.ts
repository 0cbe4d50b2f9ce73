import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import type { Clock } from '../core/ports/clock.js';
import { verifyToken, tokenFromAuthorization } from './authenticate.js';
import type { Principal } from './principal.js';
import type { TokenStore } from './token-store.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

/** API Gateway answers 401 (its UNAUTHORIZED gateway response) when a TOKEN authorizer throws exactly this. */
export const UNAUTHORIZED = 'Unauthorized';

export interface TokenAuthorizerOptions {
  /** Verified tokens kept in memory, so a warm authorizer skips the store look-up. @default none */
  readonly cache?: VerifiedTokenCache;
}

/**
 * The TOKEN authorizer's logic: the principal, its scopes and namespace go into the request context.
 * The policy allows every method of the API so that API Gateway's authorizer cache can serve
 * later calls of the same token to other routes; scopes are checked by the handler per route.
 */
export function tokenAuthorizer(store: TokenStore, clock: Clock, options: TokenAuthorizerOptions = {}) {
  const { cache } = options;
  const principalOf = async (token: string | undefined): Promise<Principal | undefined> => {
    if (token === undefined) return undefined;
    const cached = cache?.get(token);
    if (cached !== undefined) return cached;
    const verified = await verifyToken(token, store, clock);
    if (verified !== undefined) cache?.set(token, verified.principal, verified.expiresAt);
    return verified?.principal;
  };
  return async (
    event: Pick<APIGatewayTokenAuthorizerEvent, 'authorizationToken' | 'methodArn'>,
  ): Promise<APIGatewayAuthorizerResult> => {
    const principal = await principalOf(tokenFromAuthorization(event.authorizationToken));
    if (!principal) throw new Error(UNAUTHORIZED);
    const [arnPrefix, stage] = event.methodArn.split('/', 2);
    return {
      principalId: principal.id,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*` }],
      },
      context: { scopes: principal.scopes.join(','), namespace: principal.namespace ?? '' },
    };
  };
}
