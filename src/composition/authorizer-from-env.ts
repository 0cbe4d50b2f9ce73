import { tokenAuthorizer } from '../auth/token-authorizer.js';
import { VerifiedTokenCache } from '../auth/verified-token-cache.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { tokenStoreFromEnvironment } from './token-store-from-env.js';

/**
 * The TOKEN authorizer as the Lambda and the local server both run it: the configured token store
 * behind an in-memory cache of verified tokens (`RAG_AUTH_CACHE_SECONDS`, 0 disables it).
 */
export function authorizerFromEnvironment(env: NodeJS.ProcessEnv, clock: Clock = systemClock) {
  const { authCacheSeconds } = loadSecurityConfig(env);
  return tokenAuthorizer(tokenStoreFromEnvironment(env), clock, {
    cache: new VerifiedTokenCache({ ttlMs: authCacheSeconds * 1000, clock }),
  });
}
