import { Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';

/** The client closed the connection before the response was complete. */
export class ClientClosedError extends Error {
  constructor() {
    super('The client closed the connection before the response was complete.');
    this.name = 'ClientClosedError';
  }
}

/** Status and headers that a streaming Lambda writes before its body. */
export interface ResponsePrelude {
  statusCode?: number;
  headers?: Record<string, string>;
}

/**
 * The response stream the local server hands a streaming handler, in place of Lambda's.
 * `HttpResponseStream.from` sets the prelude; until then nothing is sent.
 */
export class LocalResponseStream extends Writable {
  constructor(private readonly res: ServerResponse) {
    super();
    // A client that hangs up ends the stream for the handler too, as Lambda's does, so a
    // streaming body stops (and its backends with it) instead of writing into the void.
    res.once('close', () => {
      if (!res.writableFinished) this.destroy(new ClientClosedError());
    });
  }

  setPrelude(prelude: ResponsePrelude): void {
    if (this.res.headersSent) return;
    this.res.writeHead(prelude.statusCode ?? 200, prelude.headers ?? {});
    this.res.flushHeaders();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.res.headersSent)
      this.setPrelude({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
    this.res.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.res.headersSent) this.setPrelude({ statusCode: 200 });
    this.res.end(callback);
  }
}

type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<void>;

/**
 * Provides the `awslambda` global that the Lambda Node.js runtime defines for response streaming,
 * so the very same handler module runs in the local server and in tests. A no-op on Lambda.
 */
export function installLocalStreamingRuntime(): void {
  // Other libraries (the SDK's invoke store) may already have created the global without these.
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  const runtime = (scope.awslambda ??= {});
  runtime.streamifyResponse ??= (handler: StreamingHandler) => handler;
  runtime.HttpResponseStream ??= {
    from(stream: Writable & { setPrelude?: (prelude: ResponsePrelude) => void }, prelude: ResponsePrelude) {
      // The local gateway's stream, or any stand-in for Lambda's that takes a prelude.
      stream.setPrelude?.(prelude);
      return stream;
    },
  };
}
