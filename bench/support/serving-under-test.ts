/**
 * The real handler (middy, routing, parsing, pipeline) behind the local API Gateway stand-in and its
 * TOKEN authorizer, over HTTP on 127.0.0.1, with the latency-injecting port doubles of
 * test/fakes/recording-ports.ts wired in through the composition (`servingServices`) instead of
 * the cloud adapters. Without SDK clients, signing, HTTP/2 and the fakes' wire formats, it shows
 * how much of the overhead is the handler's own; its rows say "port doubles, not wire fakes".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { issueToken } from '../../src/auth/issue-token.js';
import { SCOPES } from '../../src/auth/principal.js';
import { tokenAuthorizer } from '../../src/auth/token-authorizer.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';
import { dynamoClientForEndpoint } from '../../src/composition/dynamo-client.js';
import { dynamoStores, servingServices } from '../../src/composition/serving-services.js';
import { loadSecurityConfig } from '../../src/config/security-config.js';
import { loadServingConfig } from '../../src/config/serving-config.js';
import { systemClock } from '../../src/core/ports/clock.js';
import { createLocalGateway, type StreamingHandler } from '../../src/local/local-gateway.js';
import { installLocalStreamingRuntime } from '../../src/local/lambda-streaming-runtime.js';
import { createServingHandler } from '../../src/routes/serving-handler.js';
import { recordingPorts } from '../../test/fakes/recording-ports.js';
import type { InjectedLatencies } from './injected-latencies.js';

export const BACKENDS_LABEL = 'port doubles, not wire fakes';
const BENCH_TOKEN = 'dapibe0c4a11b3d5e7f90123456789abcdef0123';

export interface ServingUnderTest {
  readonly invocationsUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startServingUnderTest(
  latencies: InjectedLatencies,
  environment: Readonly<Record<string, string>> = {},
): Promise<ServingUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rag-bench-serving-'));
  let server: Server | undefined;
  const close = async () => {
    const listening = server;
    if (listening) {
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        listening.closeAllConnections();
      });
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const tokens = new FileTokenStore(join(dataDir, 'tokens.json'));
    await issueToken(tokens, systemClock, { principal: 'bench', scopes: SCOPES, token: BENCH_TOKEN });
    const ports = recordingPorts({
      delays: {
        claim: latencies.sessionMs,
        recent: latencies.sessionMs,
        append: latencies.sessionMs,
        embed: latencies.embedMs,
        query: latencies.retrieveMs,
        generate: latencies.generateMs,
        check: latencies.guardrailMs,
      },
    });
    // The session API and quotas (security services) get a DynamoDB endpoint on the loopback
    // interface: the invocations path never calls it, and nothing may reach out of the machine.
    const env = { RAG_DATA_DIR: dataDir, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', ...environment };
    const config = loadServingConfig(env);
    const security = loadSecurityConfig(env);
    const { sessions, usage } = dynamoStores(
      config,
      security,
      dynamoClientForEndpoint(config.dynamodbEndpoint),
      systemClock,
    );
    const services = servingServices({ config, security, ports, sessions, usage });
    installLocalStreamingRuntime();
    server = createLocalGateway({
      handler: createServingHandler(services) as unknown as StreamingHandler,
      authorizer: tokenAuthorizer(tokens, systemClock, {
        cache: new VerifiedTokenCache({ ttlMs: 300_000, clock: systemClock }),
      }),
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    return {
      invocationsUrl: `${base}/serving-endpoints/${config.endpointName}/invocations`,
      headers: { authorization: `Bearer ${BENCH_TOKEN}` },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
