import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import type { Clock } from '../core/ports/clock.js';
import { authenticate, tokenFromAuthorization } from './authenticate.js';
import type { TokenStore } from './token-store.js';

/** API Gateway answers 401 (its UNAUTHORIZED gateway response) when a TOKEN authorizer throws exactly this. */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * The TOKEN authorizer's logic: the principal, its scopes and namespace go into the request context.
 * The policy allows every method of the API so that API Gateway's authorizer cache can serve
 * later calls of the same token to other routes.
 */
export function tokenAuthorizer(store: TokenStore, clock: Clock) {
  return async (
    event: Pick<APIGatewayTokenAuthorizerEvent, 'authorizationToken' | 'methodArn'>,
  ): Promise<APIGatewayAuthorizerResult> => {
    const principal = await authenticate(tokenFromAuthorization(event.authorizationToken), store, clock);
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
