import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface ProxyEventInput {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  readonly body: Buffer;
  readonly authorizer: Record<string, string> | null;
  readonly requestId?: string;
}

const TEXT_TYPES = /^(application\/([\w.+-]*json|x-www-form-urlencoded|xml)|text\/)/i;

function group<T>(pairs: Iterable<[string, T]>): { single: Record<string, T>; multi: Record<string, T[]> } {
  const single: Record<string, T> = {};
  const multi: Record<string, T[]> = {};
  for (const [key, value] of pairs) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return { single, multi };
}

function headerPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return pairs;
}

/** The REST API (v1) proxy event that API Gateway would send for this request. */
export function toProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { req, url, body } = input;
  const headers = group(headerPairs(req));
  const query = group(url.searchParams.entries());
  const hasQuery = url.searchParams.size > 0;
  const contentType = req.headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const requestId = input.requestId ?? randomUUID();
  const method = req.method ?? 'GET';
  return {
    resource: input.resource,
    path: url.pathname,
    httpMethod: method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    pathParameters: input.pathParameters,
    stageVariables: null,
    body: body.length === 0 ? null : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: input.authorizer,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: input.resource,
    },
  };
}
