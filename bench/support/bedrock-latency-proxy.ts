import {
  connect,
  constants,
  createServer,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type BedrockCall = 'embed' | 'converse' | 'converseStream' | 'guardrail';

export interface BedrockLatencyProxy {
  /** `http://127.0.0.1:<port>`, h2c like the fake behind it. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Which Bedrock runtime operation a request path is (REST-JSON paths of the runtime API). */
export function bedrockCallOf(path: string): BedrockCall | undefined {
  if (/^\/model\/[^/]+\/invoke$/.test(path)) return 'embed';
  if (/^\/model\/[^/]+\/converse$/.test(path)) return 'converse';
  if (/^\/model\/[^/]+\/converse-stream$/.test(path)) return 'converseStream';
  if (/^\/guardrail\/[^/]+\/version\/[^/]+\/apply$/.test(path)) return 'guardrail';
  return undefined;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * An h2c proxy in front of the fake Bedrock that holds each request for the latency of its
 * operation: the fake has one latency for every operation, a real model answers an embedding in
 * tens of milliseconds and a generation in hundreds. Streams are piped through as they come, so a
 * ConverseStream's own token timing (the fake's first-token and per-token delays) is kept.
 */
export async function startBedrockLatencyProxy(
  target: string,
  latencyMs: Readonly<Partial<Record<BedrockCall, number>>>,
): Promise<BedrockLatencyProxy> {
  let upstream: ClientHttp2Session | undefined;
  const session = () => {
    if (!upstream || upstream.closed || upstream.destroyed) upstream = connect(target);
    return upstream;
  };
  const server = createServer((req, res) => {
    const path = req.headers[constants.HTTP2_HEADER_PATH] as string;
    const call = bedrockCallOf(path.split('?')[0] ?? path);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void sleep(call ? (latencyMs[call] ?? 0) : 0).then(() => {
        const forward = session().request({
          ...forwardable(req.headers),
          [constants.HTTP2_HEADER_METHOD]: req.method,
          [constants.HTTP2_HEADER_PATH]: path,
        });
        forward.on('response', (headers) => {
          res.writeHead(Number(headers[constants.HTTP2_HEADER_STATUS] ?? 502), forwardable(headers));
          forward.pipe(res);
        });
        forward.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        forward.end(Buffer.concat(chunks));
      });
    });
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      upstream?.destroy();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
