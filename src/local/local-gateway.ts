import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, Context } from 'aws-lambda';
import { API_ROUTES, type ApiRoute } from '../shared/routes.js';
import {
  GATEWAY_RESPONSES,
  GATEWAY_RETRY_AFTER_SECONDS,
  type GatewayResponseType,
} from '../shared/gateway-responses.js';
import { REQUEST_ID_HEADER } from '../http/response-headers.js';
import { UNAUTHORIZED } from '../auth/token-authorizer.js';
import { LocalResponseStream, installLocalStreamingRuntime } from './lambda-streaming-runtime.js';
import { toProxyEvent } from './proxy-event.js';

export type StreamingHandler = (
  event: APIGatewayProxyEvent,
  responseStream: Writable,
  context: Context,
) => Promise<void>;
export type TokenAuthorizer = (event: {
  authorizationToken: string;
  methodArn: string;
}) => Promise<APIGatewayAuthorizerResult>;

export interface LocalGatewayOptions {
  readonly handler: StreamingHandler;
  readonly authorizer: TokenAuthorizer;
  /** API Gateway's own payload limit. @default 10 MiB */
  readonly maxPayloadBytes?: number;
  /** The function's timeout, as `getRemainingTimeInMillis` reports it. @default 30 s */
  readonly functionTimeoutMs?: number;
  readonly routes?: readonly ApiRoute[];
  /** Called with failures the handler did not turn into a response. */
  readonly onError?: (error: unknown) => void;
}

interface MatchedRoute {
  readonly route: ApiRoute;
  readonly pathParameters: Record<string, string> | null;
}

function compile(route: ApiRoute): { route: ApiRoute; pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = route.resource
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  return { route, pattern: new RegExp(`^${source.replace(/\\\{|\\\}/g, '')}$`), names };
}

class PayloadTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new PayloadTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * An HTTP server on the loopback interface that behaves like the API Gateway REST API in front of
 * the function: route matching, the TOKEN authorizer, payload limits and the customized gateway
 * responses, then the same proxy event and a response stream for the streaming handler.
 */
export function createLocalGateway(options: LocalGatewayOptions): Server {
  installLocalStreamingRuntime();
  const compiled = (options.routes ?? API_ROUTES).map(compile);
  const maxPayload = options.maxPayloadBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.functionTimeoutMs ?? 30_000;

  const match = (method: string, path: string): MatchedRoute | undefined => {
    for (const { route, pattern, names } of compiled) {
      const found = route.method === method ? pattern.exec(path) : null;
      if (!found) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
      return { route, pathParameters: names.length ? params : null };
    }
    return undefined;
  };

  const gatewayError = (
    res: ServerResponse,
    type: GatewayResponseType,
    requestId: string,
    closeConnection = false,
  ) => {
    const { status, errorCode, message } = GATEWAY_RESPONSES[type];
    const retryAfter = GATEWAY_RETRY_AFTER_SECONDS[type];
    res.writeHead(status, {
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: requestId,
      ...(retryAfter !== undefined && { 'retry-after': String(retryAfter) }),
      ...(closeConnection && { connection: 'close' }),
    });
    res.end(JSON.stringify({ error_code: errorCode, message, request_id: requestId }));
  };

  const authorize = async (
    req: IncomingMessage,
    matched: MatchedRoute,
    requestId: string,
    res: ServerResponse,
  ) => {
    const authorizationToken = req.headers.authorization;
    if (!authorizationToken) return gatewayError(res, 'UNAUTHORIZED', requestId);
    const methodArn = `arn:aws:execute-api:local:000000000000:local/local/${matched.route.method}${matched.route.resource}`;
    let result: APIGatewayAuthorizerResult;
    try {
      result = await options.authorizer({ authorizationToken, methodArn });
    } catch (error) {
      if ((error as Error).message === UNAUTHORIZED) return gatewayError(res, 'UNAUTHORIZED', requestId);
      options.onError?.(error);
      return gatewayError(res, 'AUTHORIZER_FAILURE', requestId);
    }
    const allowed = result.policyDocument.Statement.some((statement) => statement.Effect === 'Allow');
    if (!allowed) return gatewayError(res, 'ACCESS_DENIED', requestId);
    return { principalId: result.principalId, ...(result.context as Record<string, string> | undefined) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const matched = match(req.method ?? 'GET', url.pathname);
    if (!matched) {
      req.resume();
      return gatewayError(res, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    }
    let authorizer: Record<string, string> | null = null;
    if (matched.route.authorized) {
      const outcome = await authorize(req, matched, requestId, res);
      if (!outcome) {
        req.resume();
        return;
      }
      authorizer = outcome;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxPayload);
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      return gatewayError(res, 'REQUEST_TOO_LARGE', requestId, true);
    }
    const event = toProxyEvent({
      req,
      url,
      resource: matched.route.resource,
      pathParameters: matched.pathParameters,
      body,
      authorizer,
      requestId,
    });
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: randomUUID(),
      functionName: 'rag-serving-local',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:rag-serving-local',
      memoryLimitInMB: '1024',
      logGroupName: 'local',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } satisfies Context;
    const stream = new LocalResponseStream(res);
    try {
      await options.handler(event, stream, context);
    } catch (error) {
      // Nobody is left to answer when the client hung up; that is no failure of the handler.
      if (stream.destroyed && res.destroyed) return;
      options.onError?.(error);
      if (!res.headersSent) gatewayError(res, 'DEFAULT_5XX', requestId);
      else res.destroy();
    }
  };

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) gatewayError(res, 'DEFAULT_5XX', randomUUID());
      else res.destroy();
    });
  });
}
