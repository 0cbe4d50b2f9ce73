import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Readable } from 'node:stream';

/** The response a route returns; the streaming runtime writes status and headers first, then the body. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
}

export type ProxyEvent = APIGatewayProxyEvent;
export type LambdaContext = Context;

/** Header lookup that ignores case, as HTTP does (API Gateway passes headers as the client sent them). */
export function header(event: Pick<ProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

export function jsonResponse(
  statusCode: number,
  payload: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  };
}
