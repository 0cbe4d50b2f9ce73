/**
 * The real invocations handler, wired by the Lambda's own composition root (the cloud adapters,
 * `RAG_BACKEND=fakes`), served in this process by the local API Gateway stand-in with the TOKEN
 * authorizer, in front of the fake backends running in a process of their own (see fake-backends.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { issueToken } from '../../src/auth/issue-token.js';
import { SCOPES } from '../../src/auth/principal.js';
import { tokenAuthorizer } from '../../src/auth/token-authorizer.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { createServingHandler } from '../../src/routes/serving-handler.js';
import { systemClock } from '../../src/core/ports/clock.js';
import { createLocalGateway, type StreamingHandler } from '../../src/local/local-gateway.js';
import { installLocalStreamingRuntime } from '../../src/local/lambda-streaming-runtime.js';
import { DEFAULT_LATENCIES, type InjectedLatencies } from './injected-latencies.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const BACKENDS_SCRIPT = fileURLToPath(new URL('./fake-backends.ts', import.meta.url));
export const BENCH_TOKEN = 'dapibe0c4a11b3d5e7f90123456789abcdef0123';

/** Starts the fake backends in a child process; `ready` is the handler's environment. */
export function startFakeBackendsProcess(
  latencies: InjectedLatencies = DEFAULT_LATENCIES,
): Promise<ServerProcess<Record<string, string>>> {
  return startServerProcess<Record<string, string>>(BACKENDS_SCRIPT, {
    nodeArgs: [],
    env: { ...process.env },
    args: [JSON.stringify(latencies)],
  });
}

export interface FakeServing {
  readonly invocationsUrl: string;
  readonly chatCompletionsUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface FakeServingOptions {
  readonly latencies?: InjectedLatencies;
  /** Extra environment for the handler, e.g. `RAG_GUARDRAIL=none`. */
  readonly environment?: Readonly<Record<string, string>>;
}

export async function startFakeServing(options: FakeServingOptions = {}): Promise<FakeServing> {
  const backends = await startFakeBackendsProcess(options.latencies);
  const dataDir = await mkdtemp(join(tmpdir(), 'rag-bench-serving-'));
  let server: Server | undefined;
  const close = async () => {
    if (server) {
      const closing = server;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    }
    await backends.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const tokens = new FileTokenStore(join(dataDir, 'tokens.json'));
    await issueToken(tokens, systemClock, { principal: 'bench', scopes: SCOPES, token: BENCH_TOKEN });
    installLocalStreamingRuntime();
    const environment = { ...backends.ready, ...options.environment };
    const handler = createServingHandler(await lambdaServingServices(environment));
    server = createLocalGateway({
      handler: handler as unknown as StreamingHandler,
      // API Gateway caches the authorizer's answer (and runs it in a Lambda of its own): a cached
      // token costs the invocation nothing, as with `npm start`'s default cache.
      authorizer: tokenAuthorizer(tokens, systemClock, {
        cache: new VerifiedTokenCache({ ttlMs: 300_000, clock: systemClock }),
      }),
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    return {
      invocationsUrl: `${base}/serving-endpoints/rag/invocations`,
      chatCompletionsUrl: `${base}/serving-endpoints/chat/completions`,
      headers: { authorization: `Bearer ${BENCH_TOKEN}` },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
