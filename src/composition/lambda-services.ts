import { bedrockRuntimeClient } from '../adapters/bedrock/bedrock-client.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { loadServingConfig } from '../config/serving-config.js';
import { systemClock } from '../core/ports/clock.js';
import {
  bedrockEmbedder,
  bedrockGenerator,
  cloudBackends,
  cloudGuardrail,
  pineconeRetriever,
} from './cloud-adapters.js';
import { dynamoClientForEndpoint } from './dynamo-client.js';
import {
  deepCheckAuthentication,
  dynamoStores,
  servingServices,
  type ServingServices,
} from './serving-services.js';

/**
 * The Lambda's composition root: the cloud adapters, wired statically (so the bundle holds no
 * local adapter, index or extractive code), each SDK client built once and shared by the ports
 * that use it. A local backend in the function's environment stops the start, naming the variable.
 */
export async function lambdaServingServices(env: NodeJS.ProcessEnv): Promise<ServingServices> {
  const config = loadServingConfig(env);
  const security = loadSecurityConfig(env);
  const backends = cloudBackends(config.backends);
  const clock = systemClock;
  const bedrock = bedrockRuntimeClient(backends.bedrock);
  const stores = dynamoStores(config, security, dynamoClientForEndpoint(config.dynamodbEndpoint), clock);
  return servingServices({
    config,
    security,
    ...stores,
    authenticate: deepCheckAuthentication(env, clock),
    ports: {
      embedder: bedrockEmbedder(backends.embedder, bedrock),
      index: await pineconeRetriever(backends.index, backends.secretsManager),
      generator: bedrockGenerator(backends.generator, bedrock),
      guardrail: cloudGuardrail(backends.guardrail, bedrock),
      sessions: stores.sessions,
      clock,
    },
  });
}
