import { authorizerFromEnvironment } from '../../src/composition/authorizer-from-env.js';

export const handler = authorizerFromEnvironment(process.env);
