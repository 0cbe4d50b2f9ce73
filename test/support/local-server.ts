import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { ensureUsageTable } from '../../src/adapters/dynamodb/usage-table.js';
import { FileTokenStore } from '../../src/auth/file-token-store.js';
import { issueToken, type IssueTokenOptions } from '../../src/auth/issue-token.js';
import { SCOPES } from '../../src/auth/principal.js';
import { tokenAuthorizer } from '../../src/auth/token-authorizer.js';
import { dynamoClientForEndpoint } from '../../src/composition/dynamo-client.js';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { systemClock, type Clock } from '../../src/core/ports/clock.js';
import { startEmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { installLocalStreamingRuntime } from '../../src/local/lambda-streaming-runtime.js';
import { createLocalGateway, type StreamingHandler } from '../../src/local/local-gateway.js';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/local/local-server.js';
import { createServingHandler } from '../../src/routes/serving-handler.js';
import { EnvVar } from '../../src/shared/env.js';

export const SAMPLE_CORPUS = fileURLToPath(new URL('../../examples/corpus/', import.meta.url));
export const TEST_TOKEN = 'dapi0123abcd0123456789abcdef0123456789ab';

export interface TestServer extends LocalServer {
  readonly dataDir: string;
  readonly invocationsUrl: string;
  /** POSTs a JSON (or raw string) body to the invocations URL with the test token. */
  invoke(body: unknown, init?: { headers?: Record<string, string>; url?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/** POSTs a JSON (or raw string) body with the test token. */
function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A local server on a free port over a fresh data directory, with the sample corpus ingested. */
export async function startTestServer(options: Partial<LocalServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'rag-serving-test-')));
  const server = await startLocalServer({
    dataDir,
    port: 0,
    token: TEST_TOKEN,
    sampleCorpusDir: SAMPLE_CORPUS,
    inMemorySessions: true,
    ...options,
  });
  const invocationsUrl = `${server.url}/serving-endpoints/${server.endpointName}/invocations`;
  return {
    ...server,
    dataDir,
    invocationsUrl,
    invoke: (body, init = {}) => post(init.url ?? invocationsUrl, body, init.headers),
    stop: async () => {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Mints a token in the server's own token store (the file the token CLI writes) and returns it. */
export async function issueTestToken(
  server: Pick<TestServer, 'dataDir'>,
  options: Omit<IssueTokenOptions, 'scopes'> & { scopes?: IssueTokenOptions['scopes'] },
  clock: Clock = systemClock,
): Promise<{ token: string; tokenId: string }> {
  const store = new FileTokenStore(join(server.dataDir, 'tokens.json'));
  const { token, record } = await issueToken(store, clock, { scopes: ['invoke'], ...options });
  return { token, tokenId: record.tokenId };
}

/** Revokes a token in the server's token store. */
export async function revokeTestToken(server: Pick<TestServer, 'dataDir'>, tokenId: string): Promise<void> {
  await new FileTokenStore(join(server.dataDir, 'tokens.json')).revoke(tokenId);
}

/** A request to the server with a bearer token (or none); JSON bodies are sent as JSON. */
export function call(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

export interface LambdaTestServerOptions {
  /** The function's environment: `RAG_BACKEND=fakes` and the fakes' endpoints. */
  readonly environment: Readonly<Record<string, string>>;
  /** A DynamoDB several servers share (e.g. one with a shorter budget); else an embedded one of its own. */
  readonly dynamodbEndpoint?: string;
}

/**
 * The invocations function as the Lambda wires it (its own composition root: the cloud adapters,
 * built once), behind the local API Gateway stand-in with the TOKEN authorizer, sessions in an
 * embedded DynamoDB. Tests of the cloud adapters go through the very wiring that is deployed.
 */
export async function startLambdaTestServer(options: LambdaTestServerOptions): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rag-serving-lambda-'));
  const dynamo =
    options.dynamodbEndpoint === undefined
      ? await startEmbeddedDynamo()
      : { endpoint: options.dynamodbEndpoint, client: dynamoClientForEndpoint(options.dynamodbEndpoint) };
  const environment: Record<string, string> = {
    [EnvVar.sessionTable]: 'rag-sessions-lambda-test',
    [EnvVar.usageTable]: 'rag-usage-lambda-test',
    ...options.environment,
    [EnvVar.dataDir]: dataDir,
    [EnvVar.dynamodbEndpoint]: dynamo.endpoint,
  };
  await ensureSessionTable(dynamo.client, environment[EnvVar.sessionTable]!);
  await ensureUsageTable(dynamo.client, environment[EnvVar.usageTable]!);
  const tokens = new FileTokenStore(join(dataDir, 'tokens.json'));
  await issueToken(tokens, systemClock, { principal: 'local-user', scopes: SCOPES, token: TEST_TOKEN });
  installLocalStreamingRuntime();
  const services = await lambdaServingServices(environment);
  const server = createLocalGateway({
    handler: createServingHandler(services) as unknown as StreamingHandler,
    authorizer: tokenAuthorizer(tokens, systemClock),
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpointName = environment[EnvVar.endpointName] ?? 'rag';
  const invocationsUrl = `${url}/serving-endpoints/${endpointName}/invocations`;
  const close = async () => {
    await new Promise<void>((closed) => {
      server.close(() => closed());
      server.closeAllConnections();
    });
    if ('close' in dynamo) await dynamo.close();
    else dynamo.client.destroy();
  };
  return {
    url,
    endpointName,
    token: { token: TEST_TOKEN, origin: 'RAG_TOKEN' },
    server,
    dataDir,
    invocationsUrl,
    invoke: (body, init = {}) => post(init.url ?? invocationsUrl, body, init.headers),
    close,
    stop: async () => {
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
