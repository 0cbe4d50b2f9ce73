import { PermissionDeniedError, UnauthenticatedError } from '../core/errors.js';
import type { ProxyEvent } from '../http/types.js';

export const SCOPES = ['invoke', 'sessions:read', 'sessions:delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, as the TOKEN authorizer put it into the request context. */
export interface Principal {
  readonly id: string;
  readonly scopes: readonly Scope[];
  /** Retrieval partition the principal is bound to, if any; a request cannot override it. */
  readonly namespace?: string;
}

/** Authorizer context values are strings (API Gateway flattens them), so scopes travel comma-separated. */
export function principalFromEvent(event: ProxyEvent): Principal {
  const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const id = context?.principalId;
  if (typeof id !== 'string' || id === '') throw new UnauthenticatedError();
  const scopes = typeof context?.scopes === 'string' ? (context.scopes.split(',') as Scope[]) : [];
  const namespace =
    typeof context?.namespace === 'string' && context.namespace !== '' ? context.namespace : undefined;
  return namespace === undefined ? { id, scopes } : { id, scopes, namespace };
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
    throw new PermissionDeniedError(`The token lacks the '${scope}' scope.`);
  }
}
