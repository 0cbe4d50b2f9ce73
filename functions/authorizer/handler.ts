import { tokenAuthorizer } from '../../src/auth/token-authorizer.js';
import { tokenStoreFromEnvironment } from '../../src/composition/token-store-from-env.js';
import { systemClock } from '../../src/core/ports/clock.js';

export const handler = tokenAuthorizer(tokenStoreFromEnvironment(process.env), systemClock);
